using System.Net;
using System.Net.WebSockets;

namespace Gateway.Tests.WebSockets;

/// <summary>
/// The same rules for WebSockets over HTTP/2 (RFC 8441 extended CONNECT), where the upgrade is a CONNECT stream
/// instead of <c>Connection: Upgrade</c>: judged relay on GraphQL routes, readwrite on endpoint routes.
/// </summary>
public sealed class Http2UpgradeTests(Http2WebSocketFixture gateway) : IClassFixture<Http2WebSocketFixture>
{
    private static readonly HttpMessageInvoker Invoker = new(new SocketsHttpHandler());

    private static void Http2(ClientWebSocketOptions options)
    {
        options.HttpVersion = HttpVersion.Version20;
        options.HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact;
    }

    private Task<WsClient> ConnectAsync(string path, string marker, string key, string[]? protocols = null) =>
        WsClient.ConnectAsync(gateway.Proxy, path, marker, key, protocols, Http2, Invoker);

    [Fact]
    public async Task GraphQL_ReadKey_QueryPasses_MutationCloses4403_UpstreamNeverGotIt()
    {
        using var client = await ConnectAsync("/graphql", "h2-graphql", gateway.ReadKey);
        Assert.Equal(200, client.Status);
        await client.InitAsync();
        await client.SendAsync(WsClient.Subscribe("1", "subscription { a }"));
        Assert.Contains("\"next\"", await client.ReceiveAsync());

        await client.SendAsync(WsClient.Subscribe("2", "mutation { b }"));

        Assert.Equal(4403, await client.ClosedWithAsync());
        Assert.DoesNotContain(gateway.Upstream.MessagesFor("h2-graphql"), m => m.Contains("mutation", StringComparison.Ordinal));
    }

    [Fact]
    public async Task GraphQL_UnknownSubprotocol_Is400()
    {
        using var client = await ConnectAsync("/graphql", "h2-proto", gateway.ReadKey, ["chat"]);

        Assert.Equal(400, client.Status);
        Assert.Empty(gateway.Upstream.For("h2-proto"));
    }

    [Fact]
    public async Task Endpoint_ReadKey_Is403_WriteKeyTunnels()
    {
        using var refused = await ConnectAsync("/v2/ep1/ws", "h2-endpoint-read", gateway.ReadKey, []);
        Assert.Equal(403, refused.Status);
        Assert.Empty(gateway.Upstream.For("h2-endpoint-read"));

        using var tunnel = await ConnectAsync("/v2/ep1/ws", "h2-endpoint-write", gateway.WriteKey, []);
        Assert.Equal(200, tunnel.Status);
        await tunnel.SendAsync("hi");
        Assert.Equal("echo:hi", await tunnel.ReceiveAsync());
    }
}
