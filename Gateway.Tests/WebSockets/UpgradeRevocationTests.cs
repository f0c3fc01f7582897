using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace Gateway.Tests.WebSockets;

/// <summary>Two gateway instances, A and B, on one store and key prefix, in front of one WebSocket upstream.</summary>
public class TwoGatewaysFixture : IAsyncLifetime
{
    private readonly FakeTimeProvider? _time;

    public TwoGatewaysFixture()
    {
    }

    protected TwoGatewaysFixture(FakeTimeProvider time) => _time = time;

    public WebSocketUpstream Upstream { get; private set; } = null!;

    public GatewayHost A { get; private set; } = null!;

    public GatewayHost B { get; private set; } = null!;

    private string _configPath = null!;

    public async Task InitializeAsync()
    {
        Upstream = await WebSocketUpstream.StartAsync();
        _configPath = GatewayHost.WriteConfig(Upstream.Address);
        var prefix = TestStore.UniquePrefix();
        // L1Ttl stays at its 30 s default: only the invalidation message can explain a close within a second.
        Action<IServiceCollection>? clock = _time is null ? null : services => services.Use(_time);
        A = new GatewayHost(_configPath, TestStore.Configuration, prefix, configureServices: clock).Start();
        B = new GatewayHost(_configPath, TestStore.Configuration, prefix, configureServices: clock).Start();
    }

    public async Task DisposeAsync()
    {
        await A.DisposeAsync();
        await B.DisposeAsync();
        await Upstream.DisposeAsync();
        File.Delete(_configPath);
    }
}

/// <summary>
/// An upgraded connection of either route kind closes within one second of its key being disabled, deleted or
/// downgraded, on every instance (README: "How a request is judged"). Expiry, on a clock the test moves: <see cref="UpgradeExpiryTests"/>.
/// </summary>
public sealed class UpgradeRevocationTests(TwoGatewaysFixture hosts, ITestOutputHelper output) : IClassFixture<TwoGatewaysFixture>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(1);

    [Fact]
    public Task Disable_ClosesEverySocket_OnBothInstances() =>
        ChangeClosesAllAsync("disable", id => hosts.A.Admin.PatchAsJsonAsync($"/admin/keys/{id}", new { enabled = false }));

    [Fact]
    public Task Delete_ClosesEverySocket_OnBothInstances() =>
        ChangeClosesAllAsync("delete", id => hosts.A.Admin.DeleteAsync($"/admin/keys/{id}"));

    [Fact]
    public async Task ScopeDowngrade_ClosesTheEndpointTunnels_GraphQLReadStaysOpen()
    {
        var (key, id) = await UpgradeSockets.CreateAsync(hosts, "downgrade", expiresAt: null);
        using var sockets = await UpgradeSockets.OpenAllAsync(hosts, "downgrade", key);

        using (var patched = await hosts.A.Admin.PatchAsJsonAsync($"/admin/keys/{id}", new { endpoints = new Dictionary<string, string> { ["ep1"] = "read" } }))
        {
            Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        }

        var clock = Stopwatch.StartNew();
        await Task.WhenAll(sockets.Tunnels.Select(t => t.ClosedWithAsync(TimeSpan.FromSeconds(5))));
        output.WriteLine($"tunnels closed after {clock.ElapsedMilliseconds} ms");
        Assert.True(clock.Elapsed < Bound);
        foreach (var graphql in sockets.GraphQL)
        {
            await graphql.SendAsync("{\"type\":\"ping\"}");
            Assert.NotNull(await graphql.ReceiveAsync());
        }
    }

    private async Task ChangeClosesAllAsync(string name, Func<string, Task<HttpResponseMessage>> change)
    {
        var (key, id) = await UpgradeSockets.CreateAsync(hosts, name, expiresAt: null);
        using var sockets = await UpgradeSockets.OpenAllAsync(hosts, name, key);

        using (var response = await change(id))
        {
            Assert.True(response.IsSuccessStatusCode, $"{name}: {(int)response.StatusCode}");
        }

        var clock = Stopwatch.StartNew();
        await UpgradeSockets.AllClosedAsync(sockets, TimeSpan.FromSeconds(5));
        output.WriteLine($"{name}: every socket closed after {clock.ElapsedMilliseconds} ms");
        Assert.True(clock.Elapsed < Bound, $"{name} took {clock.ElapsedMilliseconds} ms");
        // The upstream side of every tunnel and relay was closed too.
        await Eventually.TrueAsync(() => hosts.Upstream.For(name).All(c => c.Closed), $"the upstream connections of {name} to close");
    }
}
