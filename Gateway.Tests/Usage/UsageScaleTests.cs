using Gateway.Keys;
using Gateway.Tests.Infrastructure;
using Gateway.Usage;
using StackExchange.Redis;

namespace Gateway.Tests.Usage;

/// <summary>
/// Issue 11: a flush of many keys is a few script calls per hash slot, not two per key, and lands exactly; on a Redis
/// Cluster every call stays in one slot. Each test reads Redis with its own connection (UsageRedis).
/// </summary>
public sealed class UsageScaleTests : UsageStoreTest
{

    [Fact]
    public async Task TwoThousandKeysInOneFlush_LandExactly_WithLastUsedAt_InAFewCallsPerSlot()
    {
        const int Keys = 2000;
        var day = UsageDays.Format(Today);
        var ids = Enumerable.Range(0, Keys).Select(i => "km" + i).ToArray();
        var digests = ids.Select(id => KeyDigest.Compute(Prefix + id)).ToArray();
        // Records for all but the last key: a record deleted before the flush must not come back through lastUsedAt.
        await Task.WhenAll(Enumerable.Range(0, Keys - 1).Select(i => Reader.Db.HashSetAsync(Record(digests[i]), [new HashEntry("id", ids[i])])));
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        for (var i = 0; i < Keys; i++)
        {
            var key = UsageParts.Key(ids[i]);
            for (var n = 0; n <= i % 4; n++)
            {
                Parts.Counters.Record(key, ScopeTarget.Endpoint("ep" + (i % 7)), allowed: true);
            }

            if (i % 3 == 0)
            {
                Parts.Counters.Record(key, ScopeTarget.GraphQLApi, allowed: false);
            }
        }

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await Parts.Flusher.FlushRemainingAsync(deadline.Token);

        var hashes = await Task.WhenAll(ids.Select(id => Reader.Db.HashGetAllAsync(Reader.HashKey(id, day))));
        for (var i = 0; i < Keys; i++)
        {
            var expected = $"{{endpoint:ep{i % 7}:allowed={(i % 4) + 1}{(i % 3 == 0 ? ", graphql:denied=1" : "")}}}";
            Assert.Equal(expected, UsageRedis.Show(hashes[i].ToDictionary(e => (string)e.Name!, e => (long)e.Value)));
        }

        Assert.Equal(ids.Order(StringComparer.Ordinal), await Reader.KeyIdsAsync([day]));
        var lastUsed = await Task.WhenAll(ids.Select(Reader.LastUsedAsync));
        Assert.All(lastUsed, v => Assert.InRange(v!.Value, before, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
        Assert.False(await Reader.Db.KeyExistsAsync(Record(digests[^1])));

        // One marker per script call. 2,000 hash writes (with their keys' lastUsedAt) in calls of at most 500: on one
        // server a handful of calls, not the 4,000 of two per key; on a cluster about one per slot touched.
        var markers = await Reader.ScanAsync("usageseq:");
        var keysWritten = ids.Select(id => Reader.HashKey(id, day)).Append(Reader.DayIndexKey(day));
        var slots = keysWritten.Select(k => Reader.Multiplexer.HashSlot(k)).Distinct().Count();
        Assert.InRange(markers.Count, 1, slots + (2 * 3 * Keys / UsageWritePlan.MaxUnitsPerCall));
    }

    [Fact]
    public async Task KeysInDifferentSlots_AndAKeyPastOneCallsSize_LandExactly_AndTheCapHoldsAcrossItsCalls()
    {
        var ids = Enumerable.Range(0, 30).Select(i => "ks" + i).ToArray();
        // The test's own CRC16 (Redis Cluster spec): the ids cover each third of the slots, one per primary on CI's cluster.
        Assert.Equal(3, ids.Select(id => ClusterSlot.Of(id) * 3 / 16384).Distinct().Count());
        const int Targets = 1200;
        var deltas = ids.Select((id, i) => new UsageDelta(new UsageSlot(id, Today, "ep"), i + 1, 0, 1))
            .Concat(Enumerable.Range(0, Targets).Select(t => new UsageDelta(new UsageSlot("kwide", Today, "t" + t), 1, t % 2, 1)))
            .Append(new UsageDelta(new UsageSlot("konly", Today, null, IsOther: true), 0, 2, 1))
            .ToArray();

        await Parts.Store.ApplyAsync(new UsageBatch(1, deltas));

        for (var i = 0; i < ids.Length; i++)
        {
            Assert.Equal($"{{endpoint:ep:allowed={i + 1}}}", UsageRedis.Show(await Reader.CountsAsync(ids[i], [UsageDays.Format(Today)])));
        }

        // 1,200 new targets span three calls of one slot; the cap (1,000) is read from the hash by each.
        var wide = await Reader.CountsAsync("kwide", [UsageDays.Format(Today)]);
        var separate = wide.Keys.Where(f => !f.StartsWith("other:", StringComparison.Ordinal)).Select(f => f[..f.LastIndexOf(':')]).Distinct().Count();
        Assert.Equal(1000, separate);
        Assert.Equal(Targets + (Targets / 2), wide.Values.Sum());
        Assert.Equal(200, wide["other:allowed"]);
        Assert.Equal(100, wide["other:denied"]);
        Assert.Equal(ids.Append("kwide").Append("konly").Order(StringComparer.Ordinal), await Reader.KeyIdsAsync([UsageDays.Format(Today)]));

        // Every new hash got its day's expiry, also one whose only target is 'other'.
        foreach (var id in ids.Append("kwide").Append("konly"))
        {
            Assert.NotNull(await Reader.Db.KeyTimeToLiveAsync(Reader.HashKey(id, UsageDays.Format(Today))));
        }
    }

    private RedisKey Record(KeyDigest digest) => $"{Prefix}key:{digest.ToHex()}";
}

/// <summary>A key's Redis Cluster slot, computed here independently of any client: CRC16 (XMODEM) of the key, mod 16384.</summary>
internal static class ClusterSlot
{
    public static int Of(string key)
    {
        ushort crc = 0;
        foreach (var b in System.Text.Encoding.UTF8.GetBytes(key))
        {
            crc ^= (ushort)(b << 8);
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 0x8000) != 0 ? (ushort)((crc << 1) ^ 0x1021) : (ushort)(crc << 1);
            }
        }

        return crc % 16384;
    }
}
