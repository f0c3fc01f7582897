using System.Diagnostics;
using System.Net;
using Gateway.Keys;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Caching;

/// <summary>
/// Past <c>Cache:L1Ttl</c>, a key in memory keeps its last known state while the store is unreachable, for
/// <c>Cache:StaleIfErrorTtl</c> (default 5 minutes; contract §7).
/// </summary>
public sealed class StaleIfErrorTests : IAsyncLifetime
{
    private static readonly TimeSpan L1Ttl = TimeSpan.FromMilliseconds(200);
    private readonly RestartableStore _store = new();
    private RecordingUpstream _upstream = null!;
    private GatewayHost _host = null!;

    public async Task InitializeAsync()
    {
        try
        {
            await _store.StartAsync();
            _upstream = await RecordingUpstream.StartAsync();
            _host = new GatewayHost(GatewayHost.WriteConfig(_upstream.Address), _store.Configuration, TestStore.UniquePrefix(),
                new Dictionary<string, string?>
                {
                    ["Cache:L1Ttl"] = "00:00:00.200",
                    ["Cache:StoreTimeout"] = "00:00:00.300",
                }).Start();
        }
        catch
        {
            // xunit does not call DisposeAsync when InitializeAsync throws; the store process must not outlive the run.
            await DisposeAsync();
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        // The store is a process: it is stopped even when the set-up failed half way.
        try
        {
            if (_host is not null)
            {
                await _host.DisposeAsync();
            }

            if (_upstream is not null)
            {
                await _upstream.DisposeAsync();
            }
        }
        finally
        {
            await _store.DisposeAsync();
        }
    }

    [Fact]
    public async Task StoreDown_PastL1Ttl_KnownKeysKeepTheirLastKnownState()
    {
        var (working, _) = await _host.CreateKeyAsync(CacheProbe.EveryEndpoint("stale-working"));
        var (disabled, disabledId) = await _host.CreateKeyAsync(CacheProbe.EveryEndpoint("stale-disabled"));
        using (var patched = await CacheProbe.PatchAsync(_host, disabledId, new { enabled = false }))
        {
            Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        }

        await Eventually.TrueAsync(() => CacheProbe.RefusedAsync(_host, disabled, "key_disabled"), "the disabled key to be cached as disabled");
        Assert.True(await CacheProbe.PassesAsync(_host, working));
        var cachedAt = Stopwatch.StartNew();

        await _store.StopAsync();
        await Eventually.TrueAsync(() => cachedAt.Elapsed > L1Ttl + TimeSpan.FromMilliseconds(50), "L1Ttl to pass");

        var reads = CacheProbe.StoreReads(_host);
        Assert.True(await CacheProbe.PassesAsync(_host, working));
        // The entry was past L1Ttl: the gateway asked the store, failed, and answered from the stale copy.
        Assert.True(CacheProbe.StoreReads(_host) > reads, "the expired entry was served without asking the store");
        Assert.True(await CacheProbe.PassesAsync(_host, working, HttpMethod.Post));
        Assert.Equal("key_disabled", (await CacheProbe.SendAsync(_host, disabled)).Code);
        Assert.Equal("store_unavailable", (await CacheProbe.SendAsync(_host, KeyFormat.Generate())).Code);
    }
}
