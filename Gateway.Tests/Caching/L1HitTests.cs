using System.Net;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Caching;

/// <summary>
/// A key found once is served from memory. Measured with the gateway's own count of hot-path store reads:
/// Redis <c>INFO commandstats</c> cannot confirm it on both stores, since the embedded Garnet answers
/// "Command stats monitoring is disabled" unless started with <c>--commandstats-monitor</c>.
/// </summary>
[Collection(TwoHostsCollection.Name)]
public sealed class L1HitTests(TwoHostsFixture hosts)
{
    [Fact]
    public async Task RepeatedKey_AfterFirstRequest_MakesNoStoreRead()
    {
        var (key, _) = await hosts.A.CreateKeyAsync(CacheProbe.EveryEndpoint("l1-hit"));

        var beforeFirst = CacheProbe.StoreReads(hosts.A);
        Assert.True(await CacheProbe.PassesAsync(hosts.A, key));
        Assert.Equal(1, CacheProbe.StoreReads(hosts.A) - beforeFirst);

        // Exactly one: a created key is not announced over pub/sub (no instance can know its token), so no message comes
        // back after the first request to drop the entry. Until 1 Dec one did, and a second read followed now and then.
        for (var i = 0; i < 50; i++)
        {
            Assert.True(await CacheProbe.PassesAsync(hosts.A, key));
        }

        Assert.Equal(1, CacheProbe.StoreReads(hosts.A) - beforeFirst);
    }

    [Fact]
    public async Task RepeatedKey_AcrossRoutesAndMethods_SharesOneEntry()
    {
        var (key, _) = await hosts.A.CreateKeyAsync(CacheProbe.EveryEndpoint("l1-routes"));
        Assert.True(await CacheProbe.PassesAsync(hosts.A, key));
        var reads = CacheProbe.StoreReads(hosts.A);

        // The entry is per key, not per path or method: other endpoints and writes hit the same L1 copy.
        Assert.Equal(HttpStatusCode.OK, (await CacheProbe.SendAsync(hosts.A, key, HttpMethod.Post, "/v2/other-endpoint/run")).Status);
        Assert.Equal(HttpStatusCode.OK, (await CacheProbe.SendAsync(hosts.A, key, HttpMethod.Get, "/v2/ep2/health")).Status);

        Assert.Equal(reads, CacheProbe.StoreReads(hosts.A));
    }

    [Fact]
    public async Task ConcurrentMisses_OfOneKey_MakeExactlyOneStoreRead()
    {
        // The key exists before this instance starts, so nothing of it (not even its creation's invalidation) is in its memory.
        var (key, _) = await hosts.A.CreateKeyAsync(CacheProbe.EveryEndpoint("single-flight"));
        await using var cold = hosts.StartInstance();
        var before = CacheProbe.StoreReads(cold);

        var answers = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => CacheProbe.SendAsync(cold, key)));

        Assert.All(answers, answer => Assert.Equal(HttpStatusCode.OK, answer.Status));
        Assert.Equal(1, CacheProbe.StoreReads(cold) - before);
    }
}
