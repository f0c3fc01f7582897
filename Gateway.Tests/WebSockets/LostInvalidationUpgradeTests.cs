using Gateway.Keys;
using Gateway.Store;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.WebSockets;

/// <summary>
/// A key disabled in Redis without its invalidation message (written straight to the record, with the version bump
/// every admin write makes) still closes the
/// key's upgraded connections: every open connection's key is rechecked each <c>Cache:L1Ttl</c>. The host's clock is
/// the test's, so the bound is exact in clock time and a loaded machine cannot stretch it.
/// </summary>
public sealed class LostInvalidationUpgradeTests : IAsyncLifetime
{
    private static readonly TimeSpan L1Ttl = TimeSpan.FromMilliseconds(300);
    private readonly string _prefix = TestStore.UniquePrefix();
    private readonly FakeTimeProvider _time = FakeClock.StartingNow();
    private WebSocketUpstream _upstream = null!;
    private GatewayHost _host = null!;

    public async Task InitializeAsync()
    {
        _upstream = await WebSocketUpstream.StartAsync();
        _host = new GatewayHost(GatewayHost.WriteConfig(_upstream.Address), TestStore.Configuration, _prefix,
            new Dictionary<string, string?> { ["Cache:L1Ttl"] = "00:00:00.300" }, configureServices: services => services.Use(_time)).Start();
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
        // As the admin write script writes it (the field and a version one higher), without its message.
        var write = database.CreateTransaction();
        var record = $"{_prefix}key:{KeyDigest.Compute(key).ToHex()}";
        _ = write.HashSetAsync(record, KeyRecordCodec.Enabled, 0);
        _ = write.HashIncrementAsync(record, KeyRecordCodec.Version);
        Assert.True(await write.ExecuteAsync());

        // No message, and no clock time yet: nothing tells the gateway, so both still answer.
        await tunnel.SendAsync("still");
        Assert.Equal("echo:still", await tunnel.ReceiveAsync());

        // At most one sweep period to the next recheck, plus one L1Ttl if the recheck still found the old copy in L1,
        // in steps so every timer due on the way fires in its turn. Nothing moves the clock after this.
        for (var moved = TimeSpan.Zero; moved < 2 * L1Ttl; moved += L1Ttl / 3)
        {
            _time.Advance(L1Ttl / 3);
        }

        Assert.Equal(4403, await graphql.ClosedWithAsync(TimeSpan.FromSeconds(10)));
        await tunnel.ClosedWithAsync(TimeSpan.FromSeconds(10));
    }
}
