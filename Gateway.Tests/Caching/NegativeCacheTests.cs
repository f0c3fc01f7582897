using System.Net;
using Gateway.Keys;
using Gateway.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Gateway.Tests.Caching;

/// <summary>Unknown keys are remembered, and a key that comes to exist is never hidden by that memory for long (README: "The key cache").</summary>
[Collection(TwoHostsCollection.Name)]
public sealed class NegativeCacheTests(TwoHostsFixture hosts, ITestOutputHelper output)
{
    [Fact]
    public async Task UnknownWellFormedKey_HitHundredTimes_MakesOneStoreRead()
    {
        var unknown = KeyFormat.Generate();
        var before = CacheProbe.StoreReads(hosts.A);

        for (var i = 0; i < 100; i++)
        {
            var answer = await CacheProbe.SendAsync(hosts.A, unknown);
            Assert.Equal(HttpStatusCode.Unauthorized, answer.Status);
            Assert.Equal("invalid_key", answer.Code);
        }

        Assert.Equal(1, CacheProbe.StoreReads(hosts.A) - before);
    }

    [Fact]
    public async Task UnknownKey_IsAskedOfTheStoreAgain_OnlyOnceNegativeTtlHasPassed()
    {
        var unknown = KeyFormat.Generate();
        Assert.Equal("invalid_key", (await CacheProbe.SendAsync(hosts.A, unknown)).Code);
        var before = CacheProbe.StoreReads(hosts.A);

        hosts.Time.Advance(TwoHostsFixture.NegativeTtl - TimeSpan.FromMilliseconds(1));
        Assert.Equal("invalid_key", (await CacheProbe.SendAsync(hosts.A, unknown)).Code);
        Assert.Equal(before, CacheProbe.StoreReads(hosts.A));

        hosts.Time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal("invalid_key", (await CacheProbe.SendAsync(hosts.A, unknown)).Code);
        Assert.Equal(before + 1, CacheProbe.StoreReads(hosts.A));
    }

    [Fact]
    public async Task MistypedRpaKey_IsRefusedWithoutAnyStoreRead()
    {
        var real = KeyFormat.Generate();
        var mistyped = real[..^1] + (real[^1] == 'A' ? 'B' : 'A');
        var before = CacheProbe.StoreReads(hosts.A);

        for (var i = 0; i < 20; i++)
        {
            Assert.Equal("invalid_key", (await CacheProbe.SendAsync(hosts.A, mistyped)).Code);
        }

        Assert.Equal(before, CacheProbe.StoreReads(hosts.A));
    }

    [Fact]
    public async Task NewKey_WorksOnItsFirstRequest_OnAnInstanceThatNeverSawIt()
    {
        var (key, _) = await hosts.A.CreateKeyAsync(CacheProbe.EveryEndpoint("first-request"));

        Assert.Equal(HttpStatusCode.OK, (await CacheProbe.SendAsync(hosts.B, key)).Status);
    }

    [Fact]
    public async Task NegativelyCachedKey_WorksWithinOneSecond_OfBeingImportedElsewhere()
    {
        // Only a legacy key's plaintext is known before it exists, so it is the one that can be cached as unknown first.
        var token = CacheProbe.NewLegacyToken();
        Assert.Equal("invalid_key", (await CacheProbe.SendAsync(hosts.B, token)).Code);
        var reads = CacheProbe.StoreReads(hosts.B);
        Assert.Equal("invalid_key", (await CacheProbe.SendAsync(hosts.B, token)).Code);
        Assert.Equal(reads, CacheProbe.StoreReads(hosts.B));

        using (var imported = await CacheProbe.ImportLegacyAsync(hosts.A, token))
        {
            Assert.Equal(HttpStatusCode.OK, imported.StatusCode);
        }

        // A real-time bound, because the bound is the promise (README: "The key cache"); the fake clock stands still,
        // so the negative entry cannot have expired on its own.
        var elapsed = await Eventually.TimeUntilAsync(() => CacheProbe.PassesAsync(hosts.B, token), "the imported key to pass on B", TimeSpan.FromSeconds(10));
        output.WriteLine($"negative cache to working on B: {elapsed.TotalMilliseconds:0} ms (NegativeTtl 60 s)");
        Assert.True(elapsed < TimeSpan.FromSeconds(1), $"took {elapsed.TotalMilliseconds:0} ms");
    }
}
