using System.Diagnostics.Metrics;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Gateway.Tests.Usage;

/// <summary>
/// Usage:MaxPendingCounters bounds the memory counting takes (README: "Usage"). Near it, new targets of every key go to
/// that key's <c>other</c>, so a key spraying endpoint ids cannot make another key's counts drop; a count is dropped
/// only when not even an <c>other</c> counter fits, requests are served all the same, and the drop is in /metrics.
/// </summary>
public sealed class UsageMemoryBoundTests(ITestOutputHelper output) : IAsyncLifetime
{
    // 20 counters: 18 for targets, the last 2 (a tenth) kept for 'other' counters.
    private const int MaxPendingCounters = 20;
    private const int Sprayed = 500;
    private readonly string _prefix = TestStore.UniquePrefix();
    private RecordingUpstream _upstream = null!;
    private GatewayHost _host = null!;
    private UsageRedis _redis = null!;
    private CounterProbe _dropped = null!;

    public async Task InitializeAsync()
    {
        _upstream = await RecordingUpstream.StartAsync();
        _host = new GatewayHost(GatewayHost.WriteConfig(_upstream.Address), TestStore.Configuration, _prefix,
            UsageHosts.Settings(("Usage:MaxPendingCounters", MaxPendingCounters.ToString(System.Globalization.CultureInfo.InvariantCulture)))).Start();
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
    public async Task SprayerFillsTheBound_AnotherKeysCountsAreNotDropped_DropsOnlyWhenNotEvenOtherFits()
    {
        var sprayer = await _host.CreateKeyAsync(new { name = "sprayer", endpoints = new Dictionary<string, string> { ["ep-0"] = "read" } });
        var victim = await _host.CreateKeyAsync(new { name = "victim", endpoints = new Dictionary<string, string> { ["*"] = "readwrite" } });
        var tally = new UsageTally();

        // The victim's usual endpoint has its counter before the spray; its new endpoint arrives after it.
        await SendAsync(Shot.Endpoint(victim.Key, victim.Id, HttpMethod.Post, "ep-a", 200), 10, tally);
        await Traffic.RunAsync(Sprayed, 8, n => (_host.Proxy, Shot.Endpoint(sprayer.Key, sprayer.Id, HttpMethod.Get, "x" + n, 403, "scope_denied")), tally);
        await SendAsync(Shot.Endpoint(victim.Key, victim.Id, HttpMethod.Post, "ep-a", 200), 10, tally);
        await SendAsync(Shot.Endpoint(victim.Key, victim.Id, HttpMethod.Post, "ep-b", 200), 7, tally);
        // Counted on the request path, so already settled when the last response arrived.
        Assert.Equal(0, _dropped.Value);

        const string VictimCounts = "{endpoint:ep-a:allowed=20, other:allowed=7}";
        await Eventually.TrueAsync(
            async () => UsageRedis.Show(await _redis.CountsAsync(victim.Id, tally.Days)) == VictimCounts
                && (await _redis.CountsAsync(sprayer.Id, tally.Days)).Values.Sum() == Sprayed,
            "both keys' counts to reach Redis");
        var sprayerCounts = await _redis.CountsAsync(sprayer.Id, tally.Days);
        // 18 target counters: the victim's ep-a and 17 of the sprayed ids; the rest of the spray went to 'other'.
        Assert.Equal(17, sprayerCounts.Keys.Count(f => f.StartsWith("endpoint:", StringComparison.Ordinal)));
        Assert.Equal(Sprayed - 17, sprayerCounts["other:denied"]);

        // A third key, first seen now: no target counter left and no room for an 'other'. Served, and the drop counted.
        var late = await _host.CreateKeyAsync(new { name = "late", endpoints = new Dictionary<string, string> { ["*"] = "readwrite" } });
        await SendAsync(Shot.Endpoint(late.Key, late.Id, HttpMethod.Post, "ep-a", 200), 5, tally);
        Assert.Equal(5, _dropped.Value);
        Assert.Equal(10 + Sprayed + 10 + 7 + 5, tally.Sent);
        Assert.Equal(10 + 10 + 7 + 5, _upstream.Count);
        await Eventually.TrueAsync(
            async () => System.Text.RegularExpressions.Regex.IsMatch(await _host.Admin.GetStringAsync("/metrics"), @"gateway_usage_dropped_total(\{[^}]*\})? [1-9]"),
            "/metrics to show the drops");

        // The kept counters keep counting on later flushes.
        await SendAsync(Shot.Endpoint(victim.Key, victim.Id, HttpMethod.Post, "ep-b", 200), 1, tally);
        await Eventually.TrueAsync(
            async () => UsageRedis.Show(await _redis.CountsAsync(victim.Id, tally.Days)) == "{endpoint:ep-a:allowed=20, other:allowed=8}",
            "the victim's later request to reach Redis");
        Assert.Empty(await _redis.CountsAsync(late.Id, tally.Days));
        output.WriteLine($"{tally.Sent} requests; victim {UsageRedis.Show(await _redis.CountsAsync(victim.Id, tally.Days))}; sprayer other:denied {sprayerCounts["other:denied"]}; gateway_usage_dropped_total {_dropped.Value}.");
    }

    private async Task SendAsync(Shot shot, int times, UsageTally tally)
    {
        for (var i = 0; i < times; i++)
        {
            await Traffic.SendAsync(_host.Proxy, shot, tally);
        }
    }
}
