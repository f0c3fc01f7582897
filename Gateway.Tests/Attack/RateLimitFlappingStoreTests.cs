using System.Net;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.RateLimiting;

namespace Gateway.Tests.Attack;

/// <summary>
/// SECURITY.md 25: a store that stops answering twice in one window (the flapping of a store slower than the store
/// timeout). What an instance admitted alone the first time, and pushed when the store answered again, counts the second
/// time too. Three instances on one fake clock that stands still but for the sweeper's ticks, through a relay that
/// swallows the store's replies (the data stays; a restart would lose the window).
/// </summary>
public sealed class RateLimitFlappingStoreTests
{
    private const int Limit = 20;

    [Fact]
    public async Task StoreReplyLostTwice_InOneWindow_SecondOutageCountsTheFirstsAdmissions()
    {
        await using var relay = Usage.ReplyDroppingRelay.ForTestStore();
        await using var gateways = await ThreeGateways.StartAsync(
            FakeClock.StartingNow(), $"127.0.0.1:{relay.Port},connectTimeout=1000,syncTimeout=1000,asyncTimeout=1000");
        var (key, _) = await gateways.CreateLimitedKeyAsync((Limit, 60));
        var host = gateways.Hosts[0];
        var time = gateways.Time!;
        for (var i = 0; i < 12; i++)
        {
            Assert.Equal(HttpStatusCode.OK, await StatusAsync(host, key));
        }

        // First outage: the rest of the limit alone.
        relay.DropReplies();
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(Limit - 12, await CountForwardedAsync(host, key, Limit + 5));

        // The store answers again: the sweeper's probe ends the outage, the next call pushes the 8 and is refused.
        relay.CutAndRecover();
        await Eventually.TrueAsync(
            async () =>
            {
                time.Advance(TimeSpan.FromMilliseconds(10));
                return await LocalOnlyAsync(host) == "0";
            },
            "the instance to share its limits again");
        Assert.Equal(HttpStatusCode.TooManyRequests, await StatusAsync(host, key));

        // Second outage in the same window: nothing more alone (before 1 Dec's second fix, the 8 again).
        relay.DropReplies();
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(0, await CountForwardedAsync(host, key, Limit + 5));
        Assert.Equal(Limit, gateways.Upstream.Count);
        relay.CutAndRecover();
    }

    private static async Task<int> CountForwardedAsync(GatewayHost host, string key, int requests)
    {
        var forwarded = 0;
        for (var i = 0; i < requests; i++)
        {
            var status = await StatusAsync(host, key);
            Assert.True(status is HttpStatusCode.OK or HttpStatusCode.TooManyRequests, $"answered {status}");
            forwarded += status == HttpStatusCode.OK ? 1 : 0;
        }

        return forwarded;
    }

    private static async Task<string?> LocalOnlyAsync(GatewayHost host)
    {
        using var client = new HttpClient { BaseAddress = host.Listeners.AdminUri };
        var metrics = await client.GetStringAsync("/metrics");
        var match = System.Text.RegularExpressions.Regex.Match(
            metrics, @"^gateway_rate_limit_local_only(\{[^}]*\})? (\S+)$", System.Text.RegularExpressions.RegexOptions.Multiline);
        return match.Success ? match.Groups[2].Value : null;
    }

    private static async Task<HttpStatusCode> StatusAsync(GatewayHost host, string key)
    {
        using var response = await host.Proxy.SendAsync(ThreeGateways.Get(key));
        return response.StatusCode;
    }
}
