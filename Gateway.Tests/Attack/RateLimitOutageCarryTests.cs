using System.Net;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.RateLimiting;

namespace Gateway.Tests.Attack;

/// <summary>
/// SECURITY.md 25: an instance that goes local-only (a store call a request waited for failed) enforces each limit on its
/// own, counting what it admitted through the store in the window before. Until 1 Dec its local windows started empty,
/// so one store stall (a CLIENT PAUSE, a 500 ms hiccup past <c>Cache:StoreTimeout</c>) let one instance forward a whole
/// limit more in the same window: live, 36 forwarded in 4.8 s for 20 a minute on one instance. Three instances on one
/// fake clock that stands still (every request is in one window) and a store of the test's own, stopped.
/// </summary>
public sealed class RateLimitOutageCarryTests : IAsyncLifetime
{
    private const int Limit = 20;
    private readonly RestartableStore _store = new();
    private ThreeGateways _gateways = null!;

    public async Task InitializeAsync() => _gateways = await ThreeGateways.StartOnOwnStoreAsync(_store, FakeClock.StartingNow());

    public Task DisposeAsync() => ThreeGateways.DisposeWithStoreAsync(_gateways, _store);

    [Theory]
    // The whole limit admitted through the store: nothing more alone.
    [InlineData(Limit, 0)]
    // Part of it: alone, only the rest.
    [InlineData(12, Limit - 12)]
    public async Task StoreLost_InstanceAlone_CountsWhatItAdmittedBefore(int before, int alone)
    {
        var (key, _) = await _gateways.CreateLimitedKeyAsync((Limit, 60));
        var host = _gateways.Hosts[0];
        for (var i = 0; i < before; i++)
        {
            Assert.Equal(HttpStatusCode.OK, await StatusAsync(host, key));
        }

        Assert.Equal(before, _gateways.Upstream.Count);

        // The store goes away, and the clock passes the current sub-bucket (0.6 s of a 60 s window), so no refusal or
        // lease is left in memory: the next request asks the store, fails and puts the instance on its own.
        await _store.StopAsync();
        _gateways.Time!.Advance(TimeSpan.FromSeconds(1));
        var answers = new List<HttpStatusCode>();
        for (var i = 0; i < Limit + 5; i++)
        {
            answers.Add(await StatusAsync(host, key));
        }

        // In one 60 s window this instance forwards the limit, not the limit plus a whole limit alone.
        Assert.Equal(alone, answers.Count(a => a == HttpStatusCode.OK));
        Assert.Equal(Limit + 5 - alone, answers.Count(a => a == HttpStatusCode.TooManyRequests));
        Assert.Equal(Limit, _gateways.Upstream.Count);
    }

    private static async Task<HttpStatusCode> StatusAsync(GatewayHost host, string key)
    {
        using var response = await host.Proxy.SendAsync(ThreeGateways.Get(key));
        return response.StatusCode;
    }
}
