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
    public async Task ThreeInstances_TenWindowsOfHeavyDemand_HoldBothBounds(int requests, int windowSeconds, int stepMs)
    {
        var (key, _) = await _gateways.CreateLimitedKeyAsync((requests, windowSeconds));
        var time = _gateways.Time!;
        var forwardedAt = new List<long>();
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
            forwardedAt.AddRange(Enumerable.Repeat(now, _gateways.Upstream.Count - before));
            time.Advance(TimeSpan.FromMilliseconds(stepMs));
        }

        var most = SlidingWindowCheck.MaxInAnyInterval(forwardedAt, windowSeconds * 1000L);
        output.WriteLine($"{windowSeconds} s window, limit {requests}: at most {most} in any {windowSeconds} s, {forwardedAt.Count} in 10 windows, {refused} refused");
        Assert.True(refused > forwardedAt.Count, $"demand was far over the limit ({refused} refused)");
        Assert.True(most <= SlidingWindowCheck.UpperBound(requests), $"{most} forwarded within {windowSeconds} s");
        Assert.True(forwardedAt.Count >= SlidingWindowCheck.LowerBoundOverTenWindows(requests), $"{forwardedAt.Count} forwarded in 10 windows");
    }
}
