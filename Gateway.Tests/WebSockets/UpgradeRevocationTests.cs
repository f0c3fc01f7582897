using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Gateway.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Gateway.Tests.WebSockets;

/// <summary>Two gateway instances, A and B, on one store and key prefix, in front of one WebSocket upstream.</summary>
public sealed class TwoGatewaysFixture : IAsyncLifetime
{
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
        A = new GatewayHost(_configPath, TestStore.Configuration, prefix).Start();
        B = new GatewayHost(_configPath, TestStore.Configuration, prefix).Start();
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
/// An upgraded connection of either route kind closes within one second of its key being disabled, deleted,
/// downgraded or expired (a roll's grace ends the same way: its expiresAt moves), on every instance (README: "How a request is judged").
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
        var (key, id) = await CreateAsync("downgrade", expiresAt: null);
        using var sockets = await OpenAllAsync("downgrade", key);

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

    [Fact]
    public async Task Expiry_ClosesEverySocket_AtExpiresAt()
    {
        var expiresAt = DateTimeOffset.UtcNow.AddSeconds(3);
        var (key, _) = await CreateAsync("expiry", expiresAt);
        using var sockets = await OpenAllAsync("expiry", key);

        await AllClosedAsync(sockets, TimeSpan.FromSeconds(10));

        var late = DateTimeOffset.UtcNow - expiresAt;
        output.WriteLine($"closed {late.TotalMilliseconds:0} ms after expiresAt");
        Assert.True(late > TimeSpan.FromMilliseconds(-50) && late < Bound, $"closed {late.TotalMilliseconds:0} ms after expiresAt");
    }

    [Fact]
    public async Task ExpiresAtMovedSooner_AsARollDoes_ClosesEverySocketThen()
    {
        var (key, id) = await CreateAsync("moved", DateTimeOffset.UtcNow.AddHours(1));
        using var sockets = await OpenAllAsync("moved", key);
        var graceEnd = DateTimeOffset.UtcNow.AddSeconds(3);

        using (var patched = await hosts.A.Admin.PatchAsJsonAsync($"/admin/keys/{id}", new { expiresAt = graceEnd }))
        {
            Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        }

        await AllClosedAsync(sockets, TimeSpan.FromSeconds(10));
        var late = DateTimeOffset.UtcNow - graceEnd;
        output.WriteLine($"closed {late.TotalMilliseconds:0} ms after the new expiresAt");
        Assert.True(late > TimeSpan.FromMilliseconds(-50) && late < Bound);
    }

    [Fact]
    public async Task Roll_ClosesTheOldKeysSockets_AtTheGraceEnd_OnBothInstances_TheNewKeysStayOpen()
    {
        var (key, id) = await CreateAsync("rolled", expiresAt: null);
        using var sockets = await OpenAllAsync("rolled", key);

        using var rolled = await hosts.B.Admin.PostAsJsonAsync($"/admin/keys/{id}/roll", new { graceSeconds = 3 });
        var view = System.Text.Json.Nodes.JsonNode.Parse(await rolled.Content.ReadAsStringAsync())!;
        Assert.Equal(HttpStatusCode.Created, rolled.StatusCode);
        var old = System.Text.Json.Nodes.JsonNode.Parse(await hosts.A.Admin.GetStringAsync($"/admin/keys/{id}"))!;
        var graceEnd = DateTimeOffset.Parse((string)old["expiresAt"]!, System.Globalization.CultureInfo.InvariantCulture);
        using var successors = await OpenAllAsync("rolled-new", (string)view["key"]!);

        await AllClosedAsync(sockets, TimeSpan.FromSeconds(10));
        var late = DateTimeOffset.UtcNow - graceEnd;
        output.WriteLine($"closed {late.TotalMilliseconds:0} ms after the grace end");
        Assert.True(late > TimeSpan.FromMilliseconds(-50) && late < Bound, $"closed {late.TotalMilliseconds:0} ms after the grace end");
        foreach (var graphql in successors.GraphQL)
        {
            await graphql.SendAsync("{\"type\":\"ping\"}");
            Assert.NotNull(await graphql.ReceiveAsync());
        }

        foreach (var tunnel in successors.Tunnels)
        {
            await tunnel.SendAsync("still");
            Assert.Equal("echo:still", await tunnel.ReceiveAsync());
        }
    }

    private async Task ChangeClosesAllAsync(string name, Func<string, Task<HttpResponseMessage>> change)
    {
        var (key, id) = await CreateAsync(name, expiresAt: null);
        using var sockets = await OpenAllAsync(name, key);

        using (var response = await change(id))
        {
            Assert.True(response.IsSuccessStatusCode, $"{name}: {(int)response.StatusCode}");
        }

        var clock = Stopwatch.StartNew();
        await AllClosedAsync(sockets, TimeSpan.FromSeconds(5));
        output.WriteLine($"{name}: every socket closed after {clock.ElapsedMilliseconds} ms");
        Assert.True(clock.Elapsed < Bound, $"{name} took {clock.ElapsedMilliseconds} ms");
        // The upstream side of every tunnel and relay was closed too.
        await Eventually.TrueAsync(() => hosts.Upstream.For(name).All(c => c.Closed), $"the upstream connections of {name} to close");
    }

    private static async Task AllClosedAsync(Sockets sockets, TimeSpan within)
    {
        var graphql = await Task.WhenAll(sockets.GraphQL.Select(s => s.ClosedWithAsync(within)));
        var tunnels = await Task.WhenAll(sockets.Tunnels.Select(s => s.ClosedWithAsync(within)));
        Assert.All(graphql, status => Assert.Equal(4403, status));
        Assert.Equal(2, tunnels.Length);
    }

    private async Task<(string Key, string Id)> CreateAsync(string name, DateTimeOffset? expiresAt) =>
        await hosts.A.CreateKeyAsync(new
        {
            name = "ws " + name,
            graphql = "read",
            endpoints = new Dictionary<string, string> { ["ep1"] = "readwrite" },
            expiresAt,
        });

    /// <summary>A GraphQL socket and an endpoint tunnel on each instance, each proven live by a round trip.</summary>
    private async Task<Sockets> OpenAllAsync(string marker, string key)
    {
        var sockets = new Sockets();
        foreach (var host in new[] { hosts.A, hosts.B })
        {
            var graphql = await WsClient.ConnectAsync(host.Listeners.ProxyUri!, "/graphql", marker, key);
            sockets.GraphQL.Add(graphql);
            Assert.True(graphql.Connected);
            await graphql.InitAsync();
            var tunnel = await WsClient.ConnectAsync(host.Listeners.ProxyUri!, "/v2/ep1/ws", marker, key, protocols: []);
            sockets.Tunnels.Add(tunnel);
            Assert.True(tunnel.Connected);
            await tunnel.SendAsync("hi");
            Assert.Equal("echo:hi", await tunnel.ReceiveAsync());
        }

        return sockets;
    }

    private sealed class Sockets : IDisposable
    {
        public List<WsClient> GraphQL { get; } = [];

        public List<WsClient> Tunnels { get; } = [];

        public void Dispose()
        {
            foreach (var socket in GraphQL.Concat(Tunnels))
            {
                socket.Dispose();
            }
        }
    }
}
