using System.Globalization;
using Gateway.Keys;
using StackExchange.Redis;

namespace Gateway.Usage;

/// <summary>
/// The Redis keys usage is written to: contract §6's hash per key and day and set per day, the key records'
/// <c>lastUsedAt</c>, and this writer's own markers. One per <see cref="UsageStore"/>, whose writer id it carries.
/// </summary>
internal sealed class UsageLayout(string prefix, Func<KeyDigest, RedisKey> recordKey, int retentionDays, Func<RedisKey, int> slotOf)
{
    private const int ClusterSlots = 16384;

    // The markers' slot tags, built on first use on a cluster only (see MarkerKey).
    private readonly Lazy<string[]> _slotTags = new(() => SlotTags(slotOf));

    /// <summary>Names this writer's markers: a batch's sequence numbers are monotonic per writer, not across writers.</summary>
    public string WriterId { get; } = Guid.NewGuid().ToString("N");

    public RedisKey HashKey(string keyId, int day) => $"{prefix}usage:{{{keyId}}}:{UsageDays.Format(day)}";

    public RedisKey DayIndexKey(int day) => $"{prefix}usage:keys:{UsageDays.Format(day)}";

    public RedisKey RecordKey(KeyDigest digest) => recordKey(digest);

    /// <summary>The EXPIREAT (unix s) of a day's usage: RetentionDays after the day ends.</summary>
    public long ExpireAt(int day) => UsageDays.ExpiresAt(day, retentionDays).ToUnixTimeSeconds();

    /// <summary>
    /// The <paramref name="n"/>-th marker of hash slot <paramref name="slot"/> (-1: one server, no slots). It holds the
    /// sequence of this writer's last batch applied through it, so there is one per writer, slot and n, not one per
    /// batch: at most a few per slot for each writer, each expiring a day after its last write.
    /// </summary>
    public RedisKey MarkerKey(int slot, int n)
    {
        var tag = slot < 0 ? "0" : _slotTags.Value[slot];
        return $"{prefix}usageseq:{{{tag}}}:{WriterId}:{n.ToString(CultureInfo.InvariantCulture)}";
    }

    /// <summary>For each of the cluster's slots a short string that hashes to it, found by counting up (about 170,000 tries).</summary>
    private static string[] SlotTags(Func<RedisKey, int> slotOf)
    {
        var tags = new string[ClusterSlots];
        var missing = ClusterSlots;
        for (var i = 0; missing > 0; i++)
        {
            var tag = i.ToString(CultureInfo.InvariantCulture);
            var slot = slotOf(tag);
            if (slot < 0 || slot >= ClusterSlots)
            {
                throw new InvalidOperationException($"Hash slot {slot} for '{tag}' is not a cluster slot.");
            }

            if (tags[slot] is null)
            {
                tags[slot] = tag;
                missing--;
            }
        }

        return tags;
    }
}
