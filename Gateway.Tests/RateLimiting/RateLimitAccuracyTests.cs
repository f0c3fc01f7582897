using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Gateway.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Gateway.Tests.RateLimiting;

/// <summary>
/// Contract §9's accuracy across instances on the real clock: three gateways on one Redis, two clients per instance
/// sending as fast as answers come, for 10 windows. Both bounds are the contract's, checked on the upstream's recorded
/// arrival times: at most requests x 1.05 + 2 in ANY sliding window (every arrival, warm-up included); and at least
/// 0.95 x requests per window over the windows, counted from the start of demand, in which the clients really kept
/// demand well over the limit (at least twice it sent). A saturated machine that cannot send that much for a while
/// shortens what the lower bound is measured over; it cannot fail a correct limiter. No time is asserted beyond that.
/// It runs alone (<see cref="RealClockCollection"/>): with the rest of the suite beside it on 2 cores, a request could
/// wait more than a 10 ms sub-bucket for a thread between admission and forwarding, and the limiter, which fails
/// closed on a late reply, then gave back grants: 447 of the 475 needed in 10 windows at load 20 to 28 (1 Dec).
/// </summary>
[Collection(RealClockCollection.Name)]
public sealed class RateLimitAccuracyTests(ITestOutputHelper output)
{
    [Fact]
    public async Task OneSecondWindow_ThreeInstances_RealClock_HoldsBothBounds()
    {
        const int Requests = 50;
        await using var gateways = await ThreeGateways.StartAsync();
        var (key, _) = await gateways.CreateLimitedKeyAsync((Requests, 1));
        // Every instance has the key in memory first, so the windows measure the limiter, not a first store read. The
        // three warm-up requests are forwarded and counted like any other (they are in the upper bound's arrivals).
        foreach (var host in gateways.Hosts)
        {
            using var warm = await host.Proxy.SendAsync(ThreeGateways.Get(key));
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        var window = Stopwatch.Frequency;
        var started = Stopwatch.GetTimestamp();
        var deadline = started + (10 * window);
        var sent = new ConcurrentBag<(long At, bool Refused)>();
        await Task.WhenAll(gateways.Hosts.SelectMany(host => Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
        {
            for (var at = Stopwatch.GetTimestamp(); at < deadline; at = Stopwatch.GetTimestamp())
            {
                using var response = await host.Proxy.SendAsync(ThreeGateways.Get(key));
                Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.TooManyRequests, response.StatusCode.ToString());
                sent.Add((at, response.StatusCode == HttpStatusCode.TooManyRequests));
            }
        }))));

        var arrivals = gateways.Upstream.Received.Select(r => r.ArrivedAt).Order().ToList();
        var verdict = AccuracyVerdict.Of(arrivals, [.. sent], started, window, Requests, windows: 10);
        output.WriteLine($"1 s window, limit {Requests}: {verdict}");
        verdict.AssertBoth();
    }
}

/// <summary>Tests on the real clock at a 10 ms grain: xunit runs this collection after the parallel ones, alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RealClockCollection
{
    public const string Name = "Real clock";
}
