using System.Net;
using System.Net.Http.Headers;
using Gateway.Caching;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Polly;
using Polly.Simmy;
using Polly.Simmy.Fault;
using Polly.Simmy.Latency;
using StackExchange.Redis;

namespace Gateway.Tests.Caching;

/// <summary>
/// Fault injection with Polly's chaos strategies at the store boundary: Redis latency, exceptions and timeouts.
/// The gateway must stay within its contract: stale-if-error for keys it verified, 503 for keys it cannot verify,
/// never a pass for an unverified key.
/// </summary>
public sealed class StoreChaosTests : GatewayTest
{
    private readonly StoreChaos _chaos = new();

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Cache:StoreTimeout"] = "00:00:00.200",
        ["Cache:L1Ttl"] = "00:00:00.300",
    };

    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton<IStoreReadChaos>(_chaos);
    [Fact]
    public async Task InjectedLatency_PastTheStoreTimeout_UnverifiedKeyIs503AndNeverForwarded()
    {
        var (key, _) = await Host.CreateKeyAsync(new { name = "slow", endpoints = new Dictionary<string, string> { ["*"] = "read" } });
        _chaos.Latency = TimeSpan.FromSeconds(10);

        using var response = await GetAsync(key);

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

        var verifiedAt = DateTime.UtcNow;
        _chaos.FaultRate = 1.0;
        // Past L1Ttl (300 ms) the entry is stale: only stale-if-error can still serve it.
        await Eventually.TrueAsync(() => DateTime.UtcNow - verifiedAt > TimeSpan.FromMilliseconds(400), "the cached entry to go stale");

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
