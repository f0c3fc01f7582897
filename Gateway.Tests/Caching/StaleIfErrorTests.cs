using System.Diagnostics;
using System.Net;
using Gateway.Keys;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Caching;

/// <summary>
/// Past <c>Cache:L1Ttl</c>, a key in memory keeps its last known state while the store is unreachable, for
/// <c>Cache:StaleIfErrorTtl</c> (default 5 minutes; contract §7).
/// </summary>
public sealed class StaleIfErrorTests : GatewayTest
{
    private static readonly TimeSpan L1Ttl = TimeSpan.FromMilliseconds(200);

    protected override bool OwnStore => true;

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Cache:L1Ttl"] = "00:00:00.200",
        ["Cache:StoreTimeout"] = "00:00:00.300",
    };


    [Fact]
    public async Task StoreDown_PastL1Ttl_KnownKeysKeepTheirLastKnownState()
    {
        var (working, _) = await Host.CreateKeyAsync(CacheProbe.EveryEndpoint("stale-working"));
        var (disabled, disabledId) = await Host.CreateKeyAsync(CacheProbe.EveryEndpoint("stale-disabled"));
        using (var patched = await CacheProbe.PatchAsync(Host, disabledId, new { enabled = false }))
        {
            Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        }

        await Eventually.TrueAsync(() => CacheProbe.RefusedAsync(Host, disabled, "key_disabled"), "the disabled key to be cached as disabled");
        Assert.True(await CacheProbe.PassesAsync(Host, working));
        var cachedAt = Stopwatch.StartNew();

        await Store.StopAsync();
        await Eventually.TrueAsync(() => cachedAt.Elapsed > L1Ttl + TimeSpan.FromMilliseconds(50), "L1Ttl to pass");

        var reads = CacheProbe.StoreReads(Host);
        Assert.True(await CacheProbe.PassesAsync(Host, working));
        // The entry was past L1Ttl: the gateway asked the store, failed, and answered from the stale copy.
        Assert.True(CacheProbe.StoreReads(Host) > reads, "the expired entry was served without asking the store");
        Assert.True(await CacheProbe.PassesAsync(Host, working, HttpMethod.Post));
        Assert.Equal("key_disabled", (await CacheProbe.SendAsync(Host, disabled)).Code);
        Assert.Equal("store_unavailable", (await CacheProbe.SendAsync(Host, KeyFormat.Generate())).Code);
    }
}
