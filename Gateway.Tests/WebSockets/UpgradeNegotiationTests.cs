using System.Net.Sockets;
using System.Text;

namespace Gateway.Tests.WebSockets;

/// <summary>
/// What an upgrade must offer before anything is forwarded: subprotocols, the legacy graphql-ws protocol, endpoint
/// routes needing readwrite (finding 2), and the upgrade counted in usage.
/// </summary>
public sealed class UpgradeNegotiationTests(WebSocketFixture gateway) : IClassFixture<WebSocketFixture>
{
    [Theory]
    [InlineData("none")]
    [InlineData("foo")]
    [InlineData("graphql-transport-ws", "foo")]
    [InlineData("GraphQL-WS")]
    [InlineData("Graphql-Transport-Ws")]
    [InlineData("graphql-transport-ws2")]
    public async Task SubprotocolOutsideTheTwo_Is400_UpstreamSawNothing(params string[] offered)
    {
        var marker = "proto-" + string.Join("+", offered);
        using var client = await gateway.GraphQLAsync(marker, gateway.ReadKey, protocols: offered[0] == "none" ? [] : offered);

        Assert.Equal(400, client.Status);
        Assert.Empty(gateway.Upstream.For(marker));
    }

    [Fact]
    public async Task BothOffered_UpstreamChoosesOne_AndMessagesAreJudgedInIt()
    {
        using var client = await gateway.GraphQLAsync("both", gateway.ReadKey, protocols: ["graphql-ws", "graphql-transport-ws"]);
        Assert.True(client.Connected);
        Assert.Equal("graphql-ws", client.Socket.SubProtocol);
        await client.InitAsync();

        // In graphql-ws the operation is start; subscribe means nothing there and is refused.
        await client.SendAsync(WsClient.Subscribe("1", "{ a }", type: "start"));
        Assert.Contains("\"data\"", await client.ReceiveAsync());
        await client.SendAsync(WsClient.Subscribe("2", "{ a }"));

        Assert.Equal(4400, await client.ClosedWithAsync());
        Assert.Equal(2, gateway.Upstream.MessagesFor("both").Count);
    }

    [Fact]
    public async Task LegacyStart_WithAMutation_Closes4403_StopAndTerminatePass()
    {
        using var client = await gateway.GraphQLAsync("legacy", gateway.ReadKey, protocols: ["graphql-ws"]);
        await client.InitAsync();
        await client.SendAsync("{\"id\":\"1\",\"type\":\"stop\"}");
        Assert.NotNull(await client.ReceiveAsync());

        await client.SendAsync(WsClient.Subscribe("2", "mutation { b }", type: "start"));

        Assert.Equal(4403, await client.ClosedWithAsync());
        var seen = gateway.Upstream.MessagesFor("legacy");
        Assert.Equal(2, seen.Count);
        Assert.DoesNotContain(seen, m => m.Contains("mutation", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("?api_key=x&query=%7Ba%7D")]
    [InlineData("?variables=%7B%7D")]
    [InlineData("?api%5Fkey=x")]
    [InlineData("?x=1;query=mutation%7Bb%7D")]
    [InlineData("?&")]
    public async Task QueryStringWithAnythingButApiKey_Is400(string query)
    {
        var marker = "query-" + query;
        using var client = await gateway.GraphQLAsync(marker, gateway.ReadKey, query: query);

        Assert.Equal(400, client.Status);
        Assert.Empty(gateway.Upstream.For(marker));
    }

    [Fact]
    public async Task NonWebSocketUpgrade_OnGraphQL_Is400()
    {
        var response = await RawAsync(
            "GET /graphql HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\nX-Test-Case: h2c\r\n" +
            $"Authorization: Bearer {gateway.ReadKey}\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 400", response, StringComparison.Ordinal);
        Assert.Contains("invalid_graphql", response, StringComparison.Ordinal);
        Assert.Empty(gateway.Upstream.For("h2c"));
    }

    [Fact]
    public async Task Finding2_EndpointUpgrade_ReadKey_Is403_UpstreamSawNothing()
    {
        using var client = await WsClient.ConnectAsync(gateway.Proxy, "/v2/ep1/ws", "f2-read", gateway.ReadKey, protocols: []);

        Assert.Equal(403, client.Status);
        Assert.Empty(gateway.Upstream.For("f2-read"));
    }

    [Fact]
    public async Task Finding2_EndpointUpgrade_WriteKey_Tunnels()
    {
        using var client = await WsClient.ConnectAsync(gateway.Proxy, "/v2/ep1/ws", "f2-write", gateway.WriteKey, protocols: []);
        Assert.True(client.Connected);

        await client.SendAsync("hello");

        Assert.Equal("echo:hello", await client.ReceiveAsync());
        var seen = Assert.Single(gateway.Upstream.For("f2-write"));
        Assert.Equal("/v2/ep1/ws", seen.Path);
    }

    [Fact]
    public async Task Finding2_RawUpgradeWithReadKey_CannotSmuggleARequestLine()
    {
        // The attack as found: an upgrade, then another request's bytes. Refused before anything is forwarded.
        var response = await RawAsync(
            "GET /v2/ep1/ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n" +
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nX-Test-Case: f2-raw\r\n" +
            $"Authorization: Bearer {gateway.ReadKey}\r\n\r\nPOST /v2/ep2/run HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 403", response, StringComparison.Ordinal);
        Assert.Empty(gateway.Upstream.For("f2-raw"));
        Assert.DoesNotContain(gateway.Upstream.Connections, c => c.Path.StartsWith("/v2/ep2", StringComparison.Ordinal));
    }

    private async Task<string> RawAsync(string request)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(gateway.Proxy.Host, gateway.Proxy.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        var buffer = new byte[8192];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var read = await stream.ReadAsync(buffer, timeout.Token);
        return Encoding.ASCII.GetString(buffer, 0, read);
    }
}

/// <summary><c>KeyScopes:GraphQLWebSockets</c> <c>refuse</c>: upgrades on GraphQL routes are 405; endpoint routes are unchanged.</summary>
public sealed class RefuseModeTests(RefusingWebSocketFixture gateway) : IClassFixture<RefusingWebSocketFixture>
{
    [Fact]
    public async Task GraphQLUpgrade_Is405_UpstreamSawNothing()
    {
        using var client = await gateway.GraphQLAsync("refuse", gateway.WriteKey);

        Assert.Equal(405, client.Status);
        Assert.Empty(gateway.Upstream.For("refuse"));
    }

    [Fact]
    public async Task EndpointUpgrade_StillTunnels()
    {
        using var client = await WsClient.ConnectAsync(gateway.Proxy, "/v2/ep1/ws", "refuse-endpoint", gateway.WriteKey, protocols: []);

        Assert.True(client.Connected);
    }

    [Fact]
    public void AnUnknownMode_StopsTheStart()
    {
        var path = Infrastructure.GatewayHost.WriteConfig(gateway.Upstream.Address);
        using var host = new Infrastructure.GatewayHost(path, Infrastructure.TestStore.Configuration, Infrastructure.TestStore.UniquePrefix(),
            new Dictionary<string, string?> { ["KeyScopes:GraphQLWebSockets"] = "Judged" });

        var error = Assert.ThrowsAny<Exception>(() => host.Start());

        Assert.Contains("GraphQLWebSockets", error.ToString(), StringComparison.Ordinal);
        File.Delete(path);
    }
}

/// <summary>The upgrade counts as one request; each judged operation on the socket counts as one more.</summary>
public sealed class UpgradeUsageTests(WebSocketFixture gateway) : IClassFixture<WebSocketFixture>
{
    [Fact]
    public async Task UpgradeAndOperations_AreCounted_AllowedAndDenied()
    {
        var (key, id) = await gateway.Host.CreateKeyAsync(new { name = "ws usage", graphql = "read" });
        using (var client = await gateway.GraphQLAsync("usage", key))
        {
            await client.InitAsync();
            await client.SendAsync(WsClient.Subscribe("1", "subscription { a }"));
            Assert.NotNull(await client.ReceiveAsync());
            await client.SendAsync(WsClient.Subscribe("2", "{ b }"));
            Assert.NotNull(await client.ReceiveAsync());
            await client.SendAsync(WsClient.Subscribe("3", "mutation { c }"));
            Assert.Equal(4403, await client.ClosedWithAsync());
        }

        // The upgrade and two operations allowed, the mutation denied; init and ping-like messages are not counted.
        await Infrastructure.Eventually.TrueAsync(async () =>
        {
            var usage = System.Text.Json.Nodes.JsonNode.Parse(await gateway.Host.Admin.GetStringAsync($"/admin/keys/{id}/usage?days=1"))!;
            var graphql = usage["days"]!.AsArray().Select(d => d!["targets"]?["graphql"]).FirstOrDefault(t => t is not null);
            return graphql is not null && (long)graphql["allowed"]! == 3 && (long)graphql["denied"]! == 1;
        }, "the upgrade and its operations to be counted");
    }
}
