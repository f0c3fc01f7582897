using System.Diagnostics;
using Gateway.Keys;
using Gateway.Store;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Gateway.Tests.WebSockets;

/// <summary>
/// A key disabled in Redis without its invalidation message (written straight to the record) still closes the
/// key's upgraded connections: every open connection's key is rechecked each <c>Cache:L1Ttl</c>.
/// </summary>
public sealed class LostInvalidationUpgradeTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _prefix = TestStore.UniquePrefix();
    private WebSocketUpstream _upstream = null!;
    private GatewayHost _host = null!;

    public async Task InitializeAsync()
    {
        _upstream = await WebSocketUpstream.StartAsync();
        _host = new GatewayHost(GatewayHost.WriteConfig(_upstream.Address), TestStore.Configuration, _prefix,
            new Dictionary<string, string?> { ["Cache:L1Ttl"] = "00:00:00.300" }).Start();
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    [Fact]
    public async Task DisabledInRedisWithoutMessage_ClosesSocketsWithinTwoL1Ttl()
    {
        var (key, _) = await _host.CreateKeyAsync(new { name = "lost", graphql = "read", endpoints = new Dictionary<string, string> { ["ep1"] = "readwrite" } });
        using var graphql = await WsClient.ConnectAsync(_host.Listeners.ProxyUri!, "/graphql", "lost", key);
        using var tunnel = await WsClient.ConnectAsync(_host.Listeners.ProxyUri!, "/v2/ep1/ws", "lost", key, protocols: []);
        Assert.True(graphql.Connected && tunnel.Connected);

        var database = _host.Services.GetRequiredService<StoreConnection>().Database;
        await database.HashSetAsync($"{_prefix}key:{KeyDigest.Compute(key).ToHex()}", "enabled", 0);
        var clock = Stopwatch.StartNew();

        Assert.Equal(4403, await graphql.ClosedWithAsync(TimeSpan.FromSeconds(5)));
        await tunnel.ClosedWithAsync(TimeSpan.FromSeconds(5));
        output.WriteLine($"closed {clock.ElapsedMilliseconds} ms after the silent disable");
        // At most one sweep period to the next recheck, plus one L1Ttl if the recheck still found the old copy in L1.
        Assert.True(clock.Elapsed < TimeSpan.FromMilliseconds(600 + 700), $"{clock.ElapsedMilliseconds} ms");
    }
}
