using Gateway.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Gateway.Tests.Usage;

/// <summary>Counts are flushed on graceful shutdown.</summary>
public sealed class UsageShutdownTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _prefix = TestStore.UniquePrefix();
    private RecordingUpstream _upstream = null!;
    private UsageRedis _redis = null!;

    public async Task InitializeAsync()
    {
        _upstream = await RecordingUpstream.StartAsync();
        _redis = await UsageRedis.ConnectAsync(TestStore.Configuration, _prefix);
    }

    public async Task DisposeAsync()
    {
        await _upstream.DisposeAsync();
        _redis.Dispose();
    }

    [Fact]
    public async Task GracefulStop_WritesEveryCountHeldInMemory()
    {
        // An hour between flushes: only the shutdown flush can write these counts.
        var host = new GatewayHost(GatewayHost.WriteConfig(_upstream.Address), TestStore.Configuration, _prefix,
            UsageHosts.Settings(("Usage:FlushInterval", "01:00:00"))).Start();
        var tally = new UsageTally();
        string id;
        try
        {
            (var key, id) = await host.CreateKeyAsync(new { name = "shutdown", endpoints = new Dictionary<string, string> { ["ep-1"] = "read" } });
            Shot[] mix =
            [
                Shot.Endpoint(key, id, HttpMethod.Get, "ep-1", 200),
                Shot.Endpoint(key, id, HttpMethod.Post, "ep-1", 403, "scope_denied"),
                Shot.GraphQLPost(key, id, "{ a }", 403, "scope_denied"),
                Shot.Endpoint(key, id, HttpMethod.Get, "ep-2", 403, "scope_denied"),
            ];
            await Traffic.RunAsync(250, 8, n => (host.Proxy, mix[n % mix.Length]), tally);
            Assert.Empty(await _redis.CountsAsync(id, tally.Days));
        }
        finally
        {
            await host.DisposeAsync();
            File.Delete(host.ConfigPath);
        }

        // Right after disposal, with no polling: the stop itself must have written them.
        output.WriteLine($"{tally.Sent} requests; after disposal Redis {UsageRedis.Show(await _redis.CountsAsync(id, tally.Days))}.");
        Assert.Equal(UsageRedis.Show(tally.For(id)), UsageRedis.Show(await _redis.CountsAsync(id, tally.Days)));
        Assert.Equal(250, (await _redis.CountsAsync(id, tally.Days)).Values.Sum());
        Assert.Equal(new[] { id }, await _redis.KeyIdsAsync(tally.Days));
        // lastUsedAt travels in the same flush (read from Redis, as no instance is left to ask).
        Assert.NotNull(await _redis.LastUsedAsync(id));
    }

    [Fact]
    public async Task GracefulStopUnderLoad_EveryAnsweredRequestIsCounted_NoneTwice()
    {
        var host = new GatewayHost(GatewayHost.WriteConfig(_upstream.Address), TestStore.Configuration, _prefix,
            UsageHosts.Settings(("Usage:FlushInterval", "01:00:00"))).Start();
        var (key, id) = await host.CreateKeyAsync(new { name = "under-load", endpoints = new Dictionary<string, string> { ["ep-1"] = "read" } });
        Shot[] mix = [Shot.Endpoint(key, id, HttpMethod.Get, "ep-1", 200), Shot.Endpoint(key, id, HttpMethod.Post, "ep-1", 403, "scope_denied")];
        var answered = new UsageTally();
        long attempted = 0;
        var stop = 0;
        // The test's own client: the host's are disposed with it while these workers still run.
        using var client = new HttpClient { BaseAddress = host.Proxy.BaseAddress };
        var workers = Enumerable.Range(0, 16).Select(w => Task.Run(async () =>
        {
            for (var n = w; Volatile.Read(ref stop) == 0; n += 16)
            {
                Interlocked.Increment(ref attempted);
                try
                {
                    await Traffic.SendAsync(client, mix[n % mix.Length], answered);
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    // The listener is stopping: no answer, so the request may or may not have been judged.
                }
            }
        })).ToArray();

        await Eventually.TrueAsync(() => answered.Sent >= 300, "requests to be flowing");
        try
        {
            await host.DisposeAsync();
        }
        finally
        {
            Volatile.Write(ref stop, 1);
            await Task.WhenAll(workers);
            File.Delete(host.ConfigPath);
        }

        // Kestrel drains before the flusher stops, so every answered request is in; anything more was judged
        // but its answer cut off by the stop, and nothing is counted twice.
        var counts = await _redis.CountsAsync(id, answered.Days);
        foreach (var (field, sent) in answered.For(id))
        {
            Assert.True(counts.GetValueOrDefault(field) >= sent, $"{field}: {counts.GetValueOrDefault(field)} in Redis, {sent} answered");
        }

        Assert.InRange(counts.Values.Sum(), answered.Sent, Interlocked.Read(ref attempted));
        output.WriteLine($"{answered.Sent} answered of {Interlocked.Read(ref attempted)} attempted; Redis {UsageRedis.Show(counts)}, sum {counts.Values.Sum()}.");
    }
}
