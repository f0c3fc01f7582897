using System.Net;
using Gateway.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Gateway.Tests.RateLimiting;

/// <summary>
/// The 10 s and 1-minute windows of contract §9 on three gateways sharing one fake clock (the limiter takes time from
/// the DI clock and hands it to Redis), so ten minutes of demand take seconds. The clock stands still while a step's
/// requests are answered, so a request's forwarding time is its step's time exactly.
/// </summary>
public sealed class RateLimitFakeClockTests(ITestOutputHelper output) : IAsyncLifetime
{
    private ThreeGateways _gateways = null!;

    public async Task InitializeAsync() => _gateways = await ThreeGateways.StartAsync(FakeClock.StartingNow());

    public async Task DisposeAsync() => await _gateways.DisposeAsync();

    [Theory]
    [InlineData(200, 10, 100)]
    [InlineData(120, 60, 500)]
    // Small limits: a lease is one whole token, so three instances never hold back the only places from each other.
    [InlineData(1, 1, 20)]
    [InlineData(3, 10, 200)]
    public async Task ThreeInstances_TenWindowsOfHeavyDemand_HoldBothBounds(int requests, int windowSeconds, int stepMs)
    {
        var (key, _) = await _gateways.CreateLimitedKeyAsync((requests, windowSeconds));
        var time = _gateways.Time!;
        var forwardedAt = new List<long>();
        var sent = new List<(long At, bool Refused)>();
        var start = time.GetUtcNow().ToUnixTimeMilliseconds();
        var steps = 10 * windowSeconds * 1000 / stepMs;
        var refused = 0;
        for (var step = 0; step < steps; step++)
        {
            var before = _gateways.Upstream.Count;
            // Two requests per instance per step: 3x (10 s) and 20x (1 min) the limit's rate.
            var answers = await Task.WhenAll(_gateways.Hosts.SelectMany(host => new[] { host, host })
                .Select(async host =>
                {
                    using var response = await host.Proxy.SendAsync(ThreeGateways.Get(key));
                    return response.StatusCode;
                }));
            Assert.All(answers, status => Assert.True(status is HttpStatusCode.OK or HttpStatusCode.TooManyRequests, status.ToString()));
            refused += answers.Count(s => s == HttpStatusCode.TooManyRequests);
            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            sent.AddRange(answers.Select(a => (now, a == HttpStatusCode.TooManyRequests)));
            forwardedAt.AddRange(Enumerable.Repeat(now, _gateways.Upstream.Count - before));
            time.Advance(TimeSpan.FromMilliseconds(stepMs));
        }

        var verdict = AccuracyVerdict.Of(forwardedAt, sent, start, windowSeconds * 1000L, requests, windows: 10);
        output.WriteLine($"{windowSeconds} s window, limit {requests}: {verdict}");
        Assert.True(refused > forwardedAt.Count, $"demand was far over the limit ({refused} refused)");
        // Demand is the same every step on the fake clock: all 10 windows count, as the contract states the bound.
        Assert.Equal(10, verdict.DemandWindows);
        Assert.True(forwardedAt.Count >= SlidingWindowCheck.LowerBoundOverTenWindows(requests), $"{forwardedAt.Count} forwarded in 10 windows");
        verdict.AssertBoth();
        // The clock stands still while a step is answered (no forwarding delay, no skew): the design's exact bound holds.
        Assert.True(verdict.Most <= requests, $"{verdict.Most} forwarded within {windowSeconds} s on a still clock");
    }
}
