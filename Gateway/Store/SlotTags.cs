using System.Globalization;
using StackExchange.Redis;

namespace Gateway.Store;

/// <summary>
/// For each Redis Cluster hash slot a short string that hashes to it, so a key named <c>{tag}</c> lands in a chosen
/// slot: the usage flush's markers and the <c>lastUsedAt</c> hashes (<see cref="KeyStore.LastUsedKey"/>) sit in the
/// slot of the keys a script call writes. Built on first use on a cluster only (about 170,000 CRC16s); one server has
/// no slots (StackExchange.Redis gives every key -1), and its tag is <c>0</c>.
/// </summary>
internal static class SlotTags
{
    private const int ClusterSlots = 16384;
    private static string[]? s_tags;

    /// <summary>The tag of <paramref name="slot"/> (-1: one server) as <paramref name="slotOf"/> (the connection's) computes slots.</summary>
    public static string Of(int slot, Func<RedisKey, int> slotOf)
    {
        if (slot < 0)
        {
            return "0";
        }

        // Races build the same table twice at worst; the slots are the cluster spec's, the same for every connection.
        var tags = Volatile.Read(ref s_tags) ?? Build(slotOf);
        return tags[slot];
    }

    private static string[] Build(Func<RedisKey, int> slotOf)
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

        Volatile.Write(ref s_tags, tags);
        return tags;
    }
}
