using System.Globalization;
using Gateway.Store;
using StackExchange.Redis;

namespace Gateway.Usage;

/// <summary>
/// The Redis keys usage is written to: contract §6's hash per key and day and set per day, the <c>lastUsedAt</c> hash of a
/// hash slot (<see cref="KeyStore.LastUsedKey"/>), and this writer's own markers. One per <see cref="UsageStore"/>, whose
/// writer id it carries.
/// </summary>
internal sealed class UsageLayout(string prefix, Func<int, RedisKey> lastUsedKey, int retentionDays, Func<RedisKey, int> slotOf)
{
    /// <summary>Names this writer's markers: a batch's sequence numbers are monotonic per writer, not across writers.</summary>
    public string WriterId { get; } = Guid.NewGuid().ToString("N");

    public RedisKey HashKey(string keyId, int day) => $"{prefix}usage:{{{keyId}}}:{UsageDays.Format(day)}";

    public RedisKey DayIndexKey(int day) => $"{prefix}usage:keys:{UsageDays.Format(day)}";

    /// <summary>The hash holding <c>lastUsedAt</c> of the keys whose usage hashes are in <paramref name="slot"/>.</summary>
    public RedisKey LastUsedKey(int slot) => lastUsedKey(slot);

    /// <summary>The EXPIREAT (unix s) of a day's usage: RetentionDays after the day ends.</summary>
    public long ExpireAt(int day) => UsageDays.ExpiresAt(day, retentionDays).ToUnixTimeSeconds();

    /// <summary>
    /// The <paramref name="n"/>-th marker of hash slot <paramref name="slot"/> (-1: one server, no slots). It holds the
    /// sequence of this writer's last batch applied through it, so there is one per writer, slot and n, not one per
    /// batch: at most a few per slot for each writer, each expiring a day after its last write.
    /// </summary>
    public RedisKey MarkerKey(int slot, int n) =>
        $"{prefix}usageseq:{{{SlotTags.Of(slot, slotOf)}}}:{WriterId}:{n.ToString(CultureInfo.InvariantCulture)}";
}
