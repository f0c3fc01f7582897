using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.WebSockets;

/// <summary>A GraphQL socket and an endpoint tunnel on each of two instances, for the revocation and expiry tests.</summary>
internal sealed class UpgradeSockets : IDisposable
{
    public List<WsClient> GraphQL { get; } = [];

    public List<WsClient> Tunnels { get; } = [];

    public static async Task<(string Key, string Id)> CreateAsync(TwoGatewaysFixture hosts, string name, DateTimeOffset? expiresAt) =>
        await hosts.A.CreateKeyAsync(new
        {
            name = "ws " + name,
            graphql = "read",
            endpoints = new Dictionary<string, string> { ["ep1"] = "readwrite" },
            expiresAt,
        });

    /// <summary>Opens a GraphQL socket and an endpoint tunnel on each instance, each proven live by a round trip.</summary>
    public static async Task<UpgradeSockets> OpenAllAsync(TwoGatewaysFixture hosts, string marker, string key)
    {
        var sockets = new UpgradeSockets();
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

    /// <summary>Every socket closes (bounded wait): GraphQL ones with 4403, tunnels with any close.</summary>
    public static async Task AllClosedAsync(UpgradeSockets sockets, TimeSpan within)
    {
        var graphql = await Task.WhenAll(sockets.GraphQL.Select(s => s.ClosedWithAsync(within)));
        var tunnels = await Task.WhenAll(sockets.Tunnels.Select(s => s.ClosedWithAsync(within)));
        Assert.All(graphql, status => Assert.Equal(4403, status));
        Assert.Equal(2, tunnels.Length);
    }

    /// <summary>Every socket still answers: a GraphQL ping gets its pong, a tunnel its echo.</summary>
    public async Task AllOpenAsync(string marker)
    {
        foreach (var graphql in GraphQL)
        {
            await graphql.SendAsync("{\"type\":\"ping\"}");
            var pong = await graphql.ReceiveAsync();
            Assert.True(pong is not null, $"a GraphQL socket closed: {graphql.Socket.CloseStatus} {graphql.Socket.CloseStatusDescription}");
        }

        foreach (var tunnel in Tunnels)
        {
            await tunnel.SendAsync(marker);
            Assert.Equal("echo:" + marker, await tunnel.ReceiveAsync());
        }
    }

    public void Dispose()
    {
        foreach (var socket in GraphQL.Concat(Tunnels))
        {
            socket.Dispose();
        }
    }
}
