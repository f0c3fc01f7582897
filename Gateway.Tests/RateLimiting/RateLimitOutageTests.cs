using System.Net;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Testing;

namespace Gateway.Tests.RateLimiting;

/// <summary>
/// Contract §9 while Redis is unreachable: each instance enforces every limit alone (never unlimited), says so once in
/// its log and in <c>/metrics</c>; when Redis returns, each instance pushes what it admitted alone before leasing
/// again, so the shared limit resumes with no burst over it. Three instances on a store of the test's own.
/// </summary>
public sealed class RateLimitOutageTests : IAsyncLifetime
{
    private const int Limit = 20;
    private readonly RestartableStore _store = new();
    private ThreeGateways _gateways = null!;

    public async Task InitializeAsync() => _gateways = await ThreeGateways.StartOnOwnStoreAsync(_store);

    public Task DisposeAsync() => ThreeGateways.DisposeWithStoreAsync(_gateways, _store);

    [Fact]
    public async Task Outage_EachInstanceEnforcesAlone_WarnsOnce_AndRecoversWithoutBurst()
    {
        var (key, _) = await _gateways.CreateLimitedKeyAsync((Limit, 60));
        var hosts = _gateways.Hosts;
        // Every instance holds the key in memory (served stale while the store is away) and has used 2 of the 20.
        foreach (var host in hosts)
        {
            Assert.Equal(HttpStatusCode.OK, await StatusAsync(host, key));
            Assert.Equal(HttpStatusCode.OK, await StatusAsync(host, key));
        }

        // The test's store keeps nothing across a restart: the key records are copied out to be put back, the limit's
        // counts are not, so after the restart only what the instances push can fill the window.
        var saved = await CopyKeyRecordsAsync();
        await _store.StopAsync();
        _gateways.Upstream.Clear();
        foreach (var host in hosts)
        {
            var answers = new List<HttpStatusCode>();
            for (var i = 0; i < Limit + 5; i++)
            {
                answers.Add(await StatusAsync(host, key));
            }

            // Alone, an instance counts what it admitted in the window: its 2 through the store, then the rest of the limit
            // and not one more (until 1 Dec the whole limit again, SECURITY.md 25).
            Assert.Equal(Limit - 2, answers.Count(a => a == HttpStatusCode.OK));
            Assert.Equal(7, answers.Count(a => a == HttpStatusCode.TooManyRequests));
            // In /metrics: every failed store call is counted (gateway_rate_limit_store_failures_total).
            var metrics = await MetricsAsync(host);
            Assert.NotEqual("0", Counter(metrics, "gateway_rate_limit_store_failures_total") ?? "0");
            // And as a state: the gauge is 1 while this instance enforces limits alone. The next instance is not alone
            // until one of its own store calls failed: its requests' have not started, but its sweeper's give-back of an
            // ended lease may already have (once a second, on its own clock: CI once found it alone here).
            Assert.Equal("1", Counter(metrics, "gateway_rate_limit_local_only"));
            if (host != hosts[^1])
            {
                var next = await MetricsAsync(hosts[Array.IndexOf(hosts, host) + 1]);
                if ((Counter(next, "gateway_rate_limit_store_failures_total") ?? "0") == "0")
                {
                    Assert.Equal("0", Counter(next, "gateway_rate_limit_local_only"));
                }
            }

            Assert.Single(host.FakeLog().GetSnapshot(), r => r.Id.Id == 1300);
        }

        Assert.Equal(3 * (Limit - 2), _gateways.Upstream.Count);

        await _store.StartAsync();
        await RestoreAsync(saved);
        foreach (var host in hosts)
        {
            await Eventually.TrueAsync(async () =>
            {
                using var ready = await host.Admin.GetAsync("/readyz");
                return ready.StatusCode == HttpStatusCode.OK;
            }, "the instance to see the store again", TimeSpan.FromSeconds(30));
            await Eventually.TrueAsync(async () => Counter(await MetricsAsync(host), "gateway_rate_limit_local_only") == "0",
                "the local-only gauge to read 0 once the store answers", TimeSpan.FromSeconds(30));
        }

        // The store came back without the window (redis-server here keeps no data) or with the 6 admitted before the outage
        // (Garnet replays its AOF). Each instance pushes the 18 it admitted alone before it leases again: with the 6 kept,
        // the first push fills the window; without them (lost with the store's data, not the instances'), the first
        // instance to push finds 2 places left, and nobody more than that.
        _gateways.Upstream.Clear();
        var after = new List<HttpStatusCode>();
        foreach (var host in hosts)
        {
            for (var i = 0; i < 5; i++)
            {
                after.Add(await StatusAsync(host, key));
            }

            Assert.Single(host.FakeLog().GetSnapshot(), r => r.Id.Id == 1300);
        }

        Assert.InRange(after.Count(a => a == HttpStatusCode.OK), 0, 2);
        Assert.Equal(after.Count - after.Count(a => a == HttpStatusCode.OK), after.Count(a => a == HttpStatusCode.TooManyRequests));
        Assert.Equal(after.Count(a => a == HttpStatusCode.OK), _gateways.Upstream.Count);
    }

    private async Task<List<(StackExchange.Redis.RedisKey Key, byte[]? Dump)>> CopyKeyRecordsAsync()
    {
        using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(_store.Configuration);
        var server = redis.GetServers()[0];
        var saved = new List<(StackExchange.Redis.RedisKey, byte[]?)>();
        await foreach (var key in server.KeysAsync(pattern: _gateways.Prefix + "key*"))
        {
            saved.Add((key, await redis.GetDatabase().KeyDumpAsync(key)));
        }

        Assert.NotEmpty(saved);
        return saved;
    }

    private async Task RestoreAsync(List<(StackExchange.Redis.RedisKey Key, byte[]? Dump)> saved)
    {
        using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(_store.Configuration);
        foreach (var (key, dump) in saved)
        {
            // redis-server here runs without persistence and comes back empty; embedded Garnet replays its AOF and
            // comes back with the records (and cannot DUMP every type). Either way the records end as they were.
            if (!await redis.GetDatabase().KeyExistsAsync(key))
            {
                Assert.True(dump is not null, $"{key} was lost in the restart and could not be copied before it");
                await redis.GetDatabase().KeyRestoreAsync(key, dump);
            }
        }
    }

    private static async Task<HttpStatusCode> StatusAsync(GatewayHost host, string key)
    {
        using var response = await host.Proxy.SendAsync(ThreeGateways.Get(key));
        return response.StatusCode;
    }

    /// <summary>The value of one sample in a Prometheus text page.</summary>
    private static string? Counter(string metrics, string name) =>
        System.Text.RegularExpressions.Regex.Match(metrics, "^" + name + @"(\{[^}]*\})? (\S+)$", System.Text.RegularExpressions.RegexOptions.Multiline)
            is { Success: true } match ? match.Groups[2].Value : null;

    private static async Task<string> MetricsAsync(GatewayHost host)
    {
        using var client = new HttpClient { BaseAddress = host.Listeners.AdminUri };
        return await client.GetStringAsync("/metrics");
    }
}
