using System.Diagnostics.Metrics;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Gateway.Tests.Usage;

/// <summary>Usage:MaxPendingCounters bounds the memory counting takes; past it, requests are served and the loss is counted.</summary>
public sealed class UsageMemoryBoundTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int PerEndpoint = 10;
    private readonly string _prefix = TestStore.UniquePrefix();
    private RecordingUpstream _upstream = null!;
    private GatewayHost _host = null!;
    private UsageRedis _redis = null!;
    private CounterProbe _dropped = null!;

    public async Task InitializeAsync()
    {
        _upstream = await RecordingUpstream.StartAsync();
        _host = new GatewayHost(GatewayHost.WriteConfig(_upstream.Address), TestStore.Configuration, _prefix,
            UsageHosts.Settings(("Usage:MaxPendingCounters", "2"))).Start();
        // This host's own instrument: /metrics would mix in the meters of every other gateway in the test process.
        _dropped = new CounterProbe(_host.Services.GetRequiredService<IMeterFactory>(), "gateway.usage.dropped");
        _redis = await UsageRedis.ConnectAsync(TestStore.Configuration, _prefix);
    }

    public async Task DisposeAsync()
    {
        _dropped.Dispose();
        await _host.DisposeAsync();
        File.Delete(_host.ConfigPath);
        await _upstream.DisposeAsync();
        _redis.Dispose();
    }

    [Fact]
    public async Task PastMaxPendingCounters_RequestsAreServed_AndDroppedCountsAreCounted()
    {
        var (key, id) = await _host.CreateKeyAsync(new { name = "bounded", endpoints = new Dictionary<string, string> { ["*"] = "readwrite" } });
        var tally = new UsageTally();

        // One at a time, endpoint by endpoint: the first two endpoints take the two counters, the other three have none.
        for (var n = 0; n < 5 * PerEndpoint; n++)
        {
            await Traffic.SendAsync(_host.Proxy, Shot.Endpoint(key, id, HttpMethod.Post, $"ep-{n / PerEndpoint}", 200), tally);
        }

        Assert.Equal(5 * PerEndpoint, _upstream.Count);
        // Counted on the request path, so already there when the last response arrived.
        Assert.Equal(3 * PerEndpoint, _dropped.Value);
        const string Kept = "{endpoint:ep-0:allowed=10, endpoint:ep-1:allowed=10}";
        await Eventually.TrueAsync(async () => UsageRedis.Show(await _redis.CountsAsync(id, tally.Days)) == Kept, "the two kept counters to reach Redis");

        // The two counters stay (flushed, not released), so the bound keeps holding on later flushes.
        await Traffic.SendAsync(_host.Proxy, Shot.Endpoint(key, id, HttpMethod.Post, "ep-0", 200), tally);
        await Traffic.SendAsync(_host.Proxy, Shot.Endpoint(key, id, HttpMethod.Post, "ep-4", 200), tally);
        Assert.Equal(3 * PerEndpoint + 1, _dropped.Value);
        await Eventually.TrueAsync(
            async () => UsageRedis.Show(await _redis.CountsAsync(id, tally.Days)) == "{endpoint:ep-0:allowed=11, endpoint:ep-1:allowed=10}",
            "the later request on a kept counter to reach Redis");
        Assert.Contains("gateway_usage_dropped_total", await _host.Admin.GetStringAsync("/metrics"), StringComparison.Ordinal);
        var dropped = _dropped.Value;
        output.WriteLine($"{tally.Sent} requests, all 200; Redis {UsageRedis.Show(await _redis.CountsAsync(id, tally.Days))}; gateway_usage_dropped_total {dropped}.");
    }
}
