using System.Diagnostics;
using System.Net;
using Gateway.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Gateway.Tests.RateLimiting;

/// <summary>
/// Contract §9's accuracy across instances: three gateways on one Redis, clients spread over them, demand far over the
/// limit for 10 windows. The upstream's arrival times are checked against the contract's bounds (not tighter ones):
/// at most requests x 1.05 + 2 in any sliding window, and at least 0.95 x 10 x requests in all.
/// </summary>
public sealed class RateLimitAccuracyTests(ITestOutputHelper output)
{
    [Fact]
    public async Task OneSecondWindow_ThreeInstances_RealClock_HoldsBothBounds()
    {
        const int Requests = 50;
        await using var gateways = await ThreeGateways.StartAsync();
        var (key, _) = await gateways.CreateLimitedKeyAsync((Requests, 1));
        // Every instance has the key in memory first, so the 10 windows measure the limiter, not a first store read.
        foreach (var host in gateways.Hosts)
        {
            using var warm = await host.Proxy.SendAsync(ThreeGateways.Get(key));
        }

        // Fresh window: the warm-up's requests leave it before the measured demand starts.
        await Task.Delay(TimeSpan.FromSeconds(1.1));
        gateways.Upstream.Clear();
        var started = Stopwatch.GetTimestamp();
        var deadline = started + (10 * Stopwatch.Frequency);
        var refused = 0;
        // Two clients per instance, each sending as fast as answers come: thousands of requests a second against 50.
        await Task.WhenAll(gateways.Hosts.SelectMany(host => Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
        {
            while (Stopwatch.GetTimestamp() < deadline)
            {
                using var response = await host.Proxy.SendAsync(ThreeGateways.Get(key));
                if (response.StatusCode == HttpStatusCode.TooManyRequests)
                {
                    Interlocked.Increment(ref refused);
                }
                else
                {
                    Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                }
            }
        }))));

        var arrivals = gateways.Upstream.Received.Select(r => r.ArrivedAt).Order().ToList();
        var most = SlidingWindowCheck.MaxInAnyInterval(arrivals, Stopwatch.Frequency);
        output.WriteLine($"1 s window, limit {Requests}: at most {most} in any 1 s, {arrivals.Count} in 10 windows, {refused} refused");
        Assert.True(refused > arrivals.Count, $"demand was far over the limit ({refused} refused)");
        Assert.True(most <= SlidingWindowCheck.UpperBound(Requests), $"{most} forwarded within one second");
        Assert.True(arrivals.Count >= SlidingWindowCheck.LowerBoundOverTenWindows(Requests), $"{arrivals.Count} forwarded in 10 windows");
    }
}
