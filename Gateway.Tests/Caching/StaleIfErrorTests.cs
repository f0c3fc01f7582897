using System.Net;
using Gateway.Keys;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Caching;

/// <summary>
/// Past <c>Cache:L1Ttl</c>, a key in memory keeps its last known state while the store is unreachable, for
/// <c>Cache:StaleIfErrorTtl</c> (default 5 minutes), and not beyond: the README's "The key cache" section. The host's
/// clock is a fake one, so the test steps past L1Ttl, and past the window, instead of waiting.
/// </summary>
public sealed class StaleIfErrorTests(GatewayTest.Parts parts) : GatewayTest(parts)
{
    // The defaults, stated here because the test steps the clock by them.
    private static readonly TimeSpan L1Ttl = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StaleIfErrorTtl = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan StoreTimeout = TimeSpan.FromMilliseconds(300);
    private readonly FakeTimeProvider _time = FakeClock.StartingNow();

    protected override bool OwnStore => true;

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Cache:StoreTimeout"] = "00:00:00.300",
        // Not under test; a shutdown flush to the stopped store would wait on the fake clock until the host's timeout.
        ["Usage:Enabled"] = "false",
    };

    protected override void ConfigureServices(IServiceCollection services) => services.Use(_time);

    [Fact]
    public async Task StoreDown_PastL1Ttl_KnownKeysKeepTheirLastKnownState_UntilTheWindowEnds()
    {
        var (working, _) = await Host.CreateKeyAsync(CacheProbe.EveryEndpoint("stale-working"));
        var (disabled, disabledId) = await Host.CreateKeyAsync(CacheProbe.EveryEndpoint("stale-disabled"));
        using (var patched = await CacheProbe.PatchAsync(Host, disabledId, new { enabled = false }))
        {
            Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        }

        await Eventually.TrueAsync(() => CacheProbe.RefusedAsync(Host, disabled, "key_disabled"), "the disabled key to be cached as disabled");
        Assert.True(await CacheProbe.PassesAsync(Host, working));

        await Store.StopAsync();
        _time.Advance(L1Ttl);

        var reads = CacheProbe.StoreReads(Host);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(working)).Status);
        // The entry was past L1Ttl: the gateway asked the store, failed, and answered from the stale copy.
        Assert.True(CacheProbe.StoreReads(Host) > reads, "the expired entry was served without asking the store");
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(working, HttpMethod.Post)).Status);
        Assert.Equal("key_disabled", (await SendAsync(disabled)).Code);
        Assert.Equal("store_unavailable", (await SendAsync(KeyFormat.Generate())).Code);

        // The window is counted from the last successful read; past it the key is refused like any unverified key.
        _time.Advance(StaleIfErrorTtl);
        Assert.Equal("store_unavailable", (await SendAsync(working)).Code);
    }

    // A store read can wait on the fake clock (StoreTimeout, and the circuit's break): it is moved until the answer comes.
    private async Task<ProxyAnswer> SendAsync(string key, HttpMethod? method = null) =>
        (await _time.AdvanceUntilAsync(CacheProbe.SendAsync(Host, key, method), StoreTimeout)).Result;
}
