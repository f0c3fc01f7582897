using Gateway.Tests.WebSockets;

namespace Gateway.Tests.Attack;

/// <summary>The same over HTTP/2 (RFC 8441 extended CONNECT): each operation spends the key's limit.</summary>
public sealed class Http2WebSocketRateLimitTests(Http2WebSocketFixture gateway) : IClassFixture<Http2WebSocketFixture>
{
    private static readonly HttpMessageInvoker Invoker = new(new SocketsHttpHandler());

    [Fact]
    public async Task OperationsOverAnHttp2WebSocket_SpendTheKeysLimit()
    {
        const string Marker = "h2-ws-limit";
        var (key, _) = await gateway.Host.CreateKeyAsync(new
        {
            name = "limited h2 ws",
            graphql = "read",
            rateLimits = new[] { new { requests = 2, windowSeconds = 3600 } },
        });
        using var client = await WsClient.ConnectAsync(gateway.Proxy, "/graphql", Marker, key, null, options =>
        {
            options.HttpVersion = System.Net.HttpVersion.Version20;
            options.HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        }, Invoker);
        Assert.Equal(200, client.Status);
        await client.InitAsync();
        await client.SendAsync(WsClient.Subscribe("1", "{ pods { id } }"));
        Assert.Contains("\"next\"", await client.ReceiveAsync(), StringComparison.Ordinal);

        await client.SendAsync(WsClient.Subscribe("2", "{ over }"));

        Assert.Equal(4429, await client.ClosedWithAsync());
        Assert.DoesNotContain(gateway.Upstream.MessagesFor(Marker), m => m.Contains("over", StringComparison.Ordinal));
        Assert.Equal(2, gateway.Upstream.MessagesFor(Marker).Count);
    }
}
