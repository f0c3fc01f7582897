using System.Net;
using System.Net.Http.Headers;
using Gateway.Caching;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Polly;
using Polly.Simmy;
using Polly.Simmy.Fault;
using Polly.Simmy.Latency;
using StackExchange.Redis;

namespace Gateway.Tests.Caching;

/// <summary>
/// Fault injection with Polly's chaos strategies at the store boundary: Redis latency, exceptions and timeouts.
/// The gateway must keep its promises: stale-if-error for keys it verified, 503 for keys it cannot verify,
/// never a pass for an unverified key.
/// </summary>
public sealed class StoreChaosTests(GatewayTest.Parts parts) : GatewayTest(parts)
{
    // Each test switches chaos on, moves the clock, opens the read circuit and counts what the upstream saw from zero.
    protected override bool PartsPerTest => true;

    private static readonly TimeSpan StoreTimeout = TimeSpan.FromMilliseconds(200);

    // Cache:L1Ttl's default: on the fake clock only the test makes an entry stale.
    private static readonly TimeSpan L1Ttl = TimeSpan.FromSeconds(30);
    private readonly StoreChaos _chaos = new();
    private readonly FakeTimeProvider _time = FakeClock.StartingNow();

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Cache:StoreTimeout"] = "00:00:00.200",
    };

    // Polly's timeout and injected latency both run on the host's clock, here a fake one the test moves.
    protected override void ConfigureServices(IServiceCollection services)
    {
        services.AddSingleton<IStoreReadChaos>(_chaos);
        services.Use(_time);
    }

    [Fact]
    public async Task InjectedLatency_PastTheStoreTimeout_UnverifiedKeyIs503AndNeverForwarded()
    {
        var (key, _) = await Host.CreateKeyAsync(new { name = "slow", endpoints = new Dictionary<string, string> { ["*"] = "read" } });
        _chaos.Latency = TimeSpan.FromSeconds(10);

        // The read waits on the fake clock, moved a store timeout at a time: it must end well before the latency does.
        var (response, advanced) = await _time.AdvanceUntilAsync(GetAsync(key), StoreTimeout);
        using var _ = response;
        Assert.True(advanced < _chaos.Latency, $"answered only after {advanced.TotalMilliseconds:0} ms of fake time");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("store_unavailable", await response.Content.ReadAsStringAsync());
        Assert.True(response.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
        Assert.Equal(0, Upstream.Count);
    }

    [Fact]
    public async Task InjectedExceptions_KeyVerifiedBefore_KeepsWorkingPastItsFreshness()
    {
        var (key, _) = await Host.CreateKeyAsync(new { name = "known", endpoints = new Dictionary<string, string> { ["*"] = "read" } });
        using (var warm = await GetAsync(key))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        _chaos.FaultRate = 1.0;
        // Past L1Ttl the entry is stale: only stale-if-error can still serve it.
        _time.Advance(L1Ttl);

        using var stale = await GetAsync(key);
        Assert.Equal(HttpStatusCode.OK, stale.StatusCode);
        Assert.Equal(2, Upstream.Count);

        var (unseen, _) = await Host.CreateKeyAsync(new { name = "unseen", endpoints = new Dictionary<string, string> { ["*"] = "read" } });
        using var refused = await GetAsync(unseen);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal(2, Upstream.Count);
    }

    [Fact]
    public async Task HalfTheReadsFail_NoDisabledOrUnverifiedKeyEverPasses()
    {
        var keys = new List<(string Key, bool Enabled)>();
        for (var i = 0; i < 24; i++)
        {
            var enabled = i % 2 == 0;
            var (key, _) = await Host.CreateKeyAsync(new { name = "k" + i, enabled, endpoints = new Dictionary<string, string> { ["*"] = "read" } });
            keys.Add((key, enabled));
        }

        _chaos.FaultRate = 0.5;
        var outcomes = new List<(bool Enabled, HttpStatusCode Status)>();
        foreach (var (key, enabled) in keys)
        {
            using var response = await GetAsync(key, marker: enabled ? "enabled" : "disabled");
            outcomes.Add((enabled, response.StatusCode));
        }

        Assert.All(outcomes, o => Assert.Contains(o.Status, o.Enabled
            ? new[] { HttpStatusCode.OK, HttpStatusCode.ServiceUnavailable }
            : new[] { HttpStatusCode.Forbidden, HttpStatusCode.ServiceUnavailable }));
        Assert.All(Upstream.Received, r => Assert.Equal("enabled", r.Header("X-Marker")));
        Assert.Equal(outcomes.Count(o => o.Status == HttpStatusCode.OK), Upstream.Count);
        Assert.Contains(outcomes, o => o.Status == HttpStatusCode.ServiceUnavailable);
    }

    private async Task<HttpResponseMessage> GetAsync(string key, string marker = "m")
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v2/ep1/status");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        request.Headers.Add("X-Marker", marker);
        return await Host.Proxy.SendAsync(request);
    }

    /// <summary>Polly's chaos strategies, switched by the test: latency and faults at the store read.</summary>
    private sealed class StoreChaos : IStoreReadChaos
    {
        public TimeSpan Latency { get; set; } = TimeSpan.Zero;

        public double FaultRate { get; set; }

        public void Configure(ResiliencePipelineBuilder builder) => builder
            .AddChaosLatency(new ChaosLatencyStrategyOptions
            {
                InjectionRate = 1,
                EnabledGenerator = _ => ValueTask.FromResult(Latency > TimeSpan.Zero),
                LatencyGenerator = _ => ValueTask.FromResult(Latency),
            })
            .AddChaosFault(new ChaosFaultStrategyOptions
            {
                InjectionRateGenerator = _ => ValueTask.FromResult(FaultRate),
                EnabledGenerator = _ => ValueTask.FromResult(FaultRate > 0),
                FaultGenerator = new FaultGenerator().AddException(() => new RedisConnectionException(ConnectionFailureType.SocketFailure, CommandFlags.None, "injected", null, CommandStatus.Unknown)),
            });
    }
}
