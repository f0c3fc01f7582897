using System.Diagnostics;
using System.Diagnostics.Metrics;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Gateway.Tests.Usage;

/// <summary>Counts survive a Redis outage (held in memory, retried) and land exactly once when it ends.</summary>
public sealed class UsageOutageTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Before = 40;
    private const int During = 600;
    private const int After = 60;
    private readonly string _prefix = TestStore.UniquePrefix();
    private readonly RestartableStore _store = new();
    private RecordingUpstream _upstream = null!;
    private GatewayHost _host = null!;
    private UsageRedis _redis = null!;

    public async Task InitializeAsync()
    {
        try
        {
            _upstream = await RecordingUpstream.StartAsync();
            await _store.StartAsync();
            _redis = await UsageRedis.ConnectAsync(_store.Configuration, _prefix);
            _host = new GatewayHost(GatewayHost.WriteConfig(_upstream.Address), _store.Configuration, _prefix, UsageHosts.Settings()).Start();
            await _host.WaitUntilReadyAsync();
        }
        catch
        {
            // xunit does not call DisposeAsync when InitializeAsync throws; the store's process may not outlive the run.
            await DisposeAsync();
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        try
        {
            if (_host is not null)
            {
                await _host.DisposeAsync();
                File.Delete(_host.ConfigPath);
            }

            if (_upstream is not null)
            {
                await _upstream.DisposeAsync();
            }

            _redis?.Dispose();
        }
        finally
        {
            await _store.DisposeAsync();
        }
    }

    [Fact]
    public async Task StoreDownMidRun_RequestsFromL1AreHeldAndFlushedExactlyOnceWhenItReturns()
    {
        var (key, id) = await _host.CreateKeyAsync(new
        {
            name = "outage",
            graphql = "read",
            endpoints = new Dictionary<string, string> { ["ep-1"] = "readwrite", ["ep-2"] = "read" },
        });
        Shot[] mix =
        [
            Shot.Endpoint(key, id, HttpMethod.Post, "ep-1", 200),
            Shot.Endpoint(key, id, HttpMethod.Get, "ep-2", 200),
            Shot.Endpoint(key, id, HttpMethod.Post, "ep-2", 403, "scope_denied"),
            Shot.GraphQLPost(key, id, "{ myself { id } }", 200),
        ];
        var tally = new UsageTally();
        // This host's own instrument: /metrics would mix in the meters of every other gateway in the test process.
        using var failures = new CounterProbe(_host.Services.GetRequiredService<IMeterFactory>(), "gateway.usage.flush_failures");

        // Before: the first request puts the key in L1 (Cache:L1Ttl 30 s keeps it usable through the outage).
        await Traffic.RunAsync(Before, 4, n => (_host.Proxy, mix[n % mix.Length]), tally);
        await Eventually.TrueAsync(async () => await MatchesAsync(tally, id), "the counts before the outage to reach Redis");
        // A production Redis comes back with its data; this one has persistence off, so save it by hand.
        await _redis.SaveAsync();
        await _store.StopAsync();

        // During: every request passes from L1 and is counted in memory; the flush fails and is retried.
        var during = Stopwatch.StartNew();
        await Traffic.RunAsync(During, 16, n => (_host.Proxy, mix[n % mix.Length]), tally);
        during.Stop();
        await Eventually.TrueAsync(
            () => failures.Value >= 1,
            "a usage flush to fail while the store is down");
        using var healthz = await _host.Admin.GetAsync("/healthz");
        Assert.Equal(200, (int)healthz.StatusCode);

        await _store.StartAsync();
        var clock = Stopwatch.StartNew();
        // After: the key may be reloaded from the restored store (L1 is cleared on reconnect).
        await Traffic.RunAsync(After, 4, n => (_host.Proxy, mix[n % mix.Length]), tally);
        await Eventually.TrueAsync(async () => await MatchesAsync(tally, id), "every count to reach Redis after the outage", TimeSpan.FromSeconds(40));
        var recovery = clock.Elapsed;

        Assert.Equal(Before + During + After, tally.Sent);
        var counts = await _redis.CountsAsync(id, tally.Days);
        Assert.Equal(UsageRedis.Show(tally.For(id)), UsageRedis.Show(counts));
        Assert.Equal(tally.Sent, counts.Values.Sum());
        Assert.Equal(new[] { id }, await _redis.KeyIdsAsync(tally.Days));
        Assert.Equal(tally.Allowed, _upstream.Count);
        output.WriteLine(
            $"{tally.Sent} requests ({Before} before, {During} during the outage in {during.Elapsed.TotalSeconds:0.00} s, {After} after); Redis {UsageRedis.Show(counts)}, " +
            $"sum {counts.Values.Sum()}; exact {recovery.TotalSeconds:0.00} s after the store restarted; {failures.Value} failed flush attempts.");
    }

    private async Task<bool> MatchesAsync(UsageTally tally, string id)
    {
        try
        {
            return UsageRedis.Show(await _redis.CountsAsync(id, tally.Days)) == UsageRedis.Show(tally.For(id));
        }
        catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
        {
            // The test's own connection may still be reconnecting to the restarted store.
            return false;
        }
    }
}
