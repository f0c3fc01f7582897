using System.Net.Http.Json;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.RateLimiting;

/// <summary>
/// Three gateway instances on one store and key prefix, as three replicas behind a load balancer, forwarding to one
/// recording upstream; on the real clock, or all three on one fake clock that only the test moves.
/// </summary>
public sealed class ThreeGateways : IAsyncDisposable
{
    private ThreeGateways(RecordingUpstream upstream, GatewayHost[] hosts, FakeTimeProvider? time, string prefix)
    {
        Prefix = prefix;
        Upstream = upstream;
        Hosts = hosts;
        Time = time;
    }

    public string Prefix { get; }

    public RecordingUpstream Upstream { get; }

    public GatewayHost[] Hosts { get; }

    public FakeTimeProvider? Time { get; }

    public static async Task<ThreeGateways> StartAsync(FakeTimeProvider? time = null, string? storeConfiguration = null)
    {
        var upstream = await RecordingUpstream.StartAsync();
        var config = GatewayHost.WriteConfig(upstream.Address);
        var prefix = TestStore.UniquePrefix();
        var hosts = Enumerable.Range(0, 3)
            .Select(_ => new GatewayHost(config, storeConfiguration ?? TestStore.Configuration, prefix,
                configureLogging: logging => logging.AddFakeLogging(),
                configureServices: time is null ? null : services => services.Use(time)).Start())
            .ToArray();
        if (storeConfiguration is not null)
        {
            // A store of the test's own (1 s timeouts): every instance reaches it before the test's first write.
            await Task.WhenAll(hosts.Select(h => h.WaitUntilReadyAsync()));
        }

        return new ThreeGateways(upstream, hosts, time, prefix);
    }

    /// <summary>
    /// Starts <paramref name="store"/> (a store of the test's own, which the test may stop and start), then three gateways
    /// on it. If either fails the store is stopped again: xunit does not call DisposeAsync when InitializeAsync throws, and
    /// the store's process must not outlive the run.
    /// </summary>
    public static async Task<ThreeGateways> StartOnOwnStoreAsync(RestartableStore store, FakeTimeProvider? time = null)
    {
        try
        {
            await store.StartAsync();
            return await StartAsync(time, store.Configuration);
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }
    }

    /// <summary>Stops <paramref name="gateways"/>, then <paramref name="store"/> whatever happened to them.</summary>
    public static async Task DisposeWithStoreAsync(ThreeGateways gateways, RestartableStore store)
    {
        try
        {
            await gateways.DisposeAsync();
        }
        finally
        {
            await store.DisposeAsync();
        }
    }

    /// <summary>Creates a key that may read every endpoint, with the given limits, through the first instance.</summary>
    public Task<(string Key, string Id)> CreateLimitedKeyAsync(params (int Requests, int WindowSeconds)[] limits) =>
        Hosts[0].CreateKeyAsync(new
        {
            name = "limited",
            endpoints = new Dictionary<string, string> { ["*"] = "read" },
            rateLimits = limits.Select(l => new { requests = l.Requests, windowSeconds = l.WindowSeconds }).ToArray(),
        });

    public static HttpRequestMessage Get(string key) =>
        new(HttpMethod.Get, "/v2/ep1/status") { Headers = { { "Authorization", "Bearer " + key } } };

    public async ValueTask DisposeAsync()
    {
        foreach (var host in Hosts)
        {
            await host.DisposeAsync();
        }

        await Upstream.DisposeAsync();
    }
}
