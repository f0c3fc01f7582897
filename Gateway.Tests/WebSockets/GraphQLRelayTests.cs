namespace Gateway.Tests.WebSockets;

/// <summary>
/// Finding 1 of issue 9 and its variants, through the real gateway: every operation on a GraphQL WebSocket is judged
/// as a POST body would be, and one the key may not run closes the connection (4403) before the upstream gets it.
/// </summary>
public sealed class GraphQLRelayTests(WebSocketFixture gateway) : IClassFixture<WebSocketFixture>
{
    private const string Mutation = "mutation { deletePod(id: \"x\") }";
    private const string Subscription = "subscription { podStatus { id } }";

    [Fact]
    public async Task Finding1_UpgradeWithQueryInUrl_Is400_UpstreamSawNothing()
    {
        using var client = await gateway.GraphQLAsync("f1-url", gateway.ReadKey, query: "?query=%7Ba%7D");

        Assert.Equal(400, client.Status);
        Assert.Empty(gateway.Upstream.For("f1-url"));
    }

    [Fact]
    public async Task Finding1_MutationSubscribe_ReadKey_Closes4403_UpstreamNeverGotIt()
    {
        using var client = await gateway.GraphQLAsync("f1-mutation", gateway.ReadKey);
        Assert.True(client.Connected);
        await client.InitAsync();

        await client.SendAsync("{\"id\":\"1\",\"type\":\"subscribe\",\"payload\":{\"query\":\"mutation{a}\"}}");

        Assert.Equal(4403, await client.ClosedWithAsync());
        Assert.Equal(["{\"type\":\"connection_init\"}"], gateway.Upstream.MessagesFor("f1-mutation"));
    }

    [Fact]
    public async Task ReadKey_CanSubscribe_AndApiKeyInQuery_NeverReachesUpstream()
    {
        using var client = await WsClient.ConnectAsync(gateway.Proxy, "/graphql?api_key=" + gateway.ReadKey, "read-sub", key: null);
        Assert.True(client.Connected);
        await client.InitAsync();

        await client.SendAsync(WsClient.Subscribe("1", Subscription));

        Assert.Contains("\"next\"", await client.ReceiveAsync());
        var seen = Assert.Single(gateway.Upstream.For("read-sub"));
        Assert.Equal("", seen.Query);
        Assert.Equal([WsClient.Subscribe("1", Subscription)], seen.Messages.Skip(1));
    }

    [Fact]
    public async Task WriteKey_CanRunAMutation()
    {
        using var client = await gateway.GraphQLAsync("write-mutation", gateway.WriteKey);
        await client.InitAsync();

        await client.SendAsync(WsClient.Subscribe("1", Mutation));

        Assert.Contains("\"next\"", await client.ReceiveAsync());
        Assert.Contains(WsClient.Subscribe("1", Mutation), gateway.Upstream.MessagesFor("write-mutation"));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(100)]
    public async Task MutationInTheNthMessage_Closes4403_AfterTheEarlierOnesPassed(int n)
    {
        var marker = $"nth-{n}";
        using var client = await gateway.GraphQLAsync(marker, gateway.ReadKey);
        await client.InitAsync();
        for (var i = 1; i < n; i++)
        {
            await client.SendAsync(WsClient.Subscribe(i.ToString(System.Globalization.CultureInfo.InvariantCulture), "{ pods { id } }"));
            Assert.Contains("\"next\"", await client.ReceiveAsync());
        }

        await client.SendAsync(WsClient.Subscribe("last", Mutation));

        Assert.Equal(4403, await client.ClosedWithAsync());
        var seen = gateway.Upstream.MessagesFor(marker);
        Assert.Equal(n, seen.Count); // connection_init and the n - 1 queries
        Assert.DoesNotContain(seen, m => m.Contains("mutation", StringComparison.Ordinal));
    }

    [Fact]
    public async Task FragmentedMutation_IsJudgedWhole_AndNeverForwarded()
    {
        using var client = await gateway.GraphQLAsync("fragmented", gateway.ReadKey);
        await client.InitAsync();
        var message = WsClient.Subscribe("1", Mutation);

        await client.SendAsync(message[..10], endOfMessage: false);
        await client.SendAsync(message[10..30], endOfMessage: false);
        await client.SendAsync(message[30..], endOfMessage: true);

        Assert.Equal(4403, await client.ClosedWithAsync());
        Assert.Single(gateway.Upstream.MessagesFor("fragmented"));
    }

    [Fact]
    public async Task FragmentedQuery_ReachesUpstreamAsOneMessage()
    {
        using var client = await gateway.GraphQLAsync("fragmented-query", gateway.ReadKey);
        await client.InitAsync();
        var message = WsClient.Subscribe("1", Subscription);

        await client.SendAsync(message[..15], endOfMessage: false);
        await client.SendAsync(message[15..], endOfMessage: true);

        Assert.Contains("\"next\"", await client.ReceiveAsync());
        Assert.Equal(message, gateway.Upstream.MessagesFor("fragmented-query")[1]);
    }

    [Theory]
    // A batch array, a repeated query member, a member outside the request object, a mis-cased member.
    [InlineData("batch", "{\"id\":\"1\",\"type\":\"subscribe\",\"payload\":[{\"query\":\"{a}\"},{\"query\":\"mutation{b}\"}]}", 4400)]
    [InlineData("dup-query", "{\"id\":\"1\",\"type\":\"subscribe\",\"payload\":{\"query\":\"{a}\",\"query\":\"mutation{b}\"}}", 4400)]
    [InlineData("extra-member", "{\"id\":\"1\",\"type\":\"subscribe\",\"payload\":{\"query\":\"{a}\",\"mutation\":\"mutation{b}\"}}", 4400)]
    [InlineData("cased-member", "{\"id\":\"1\",\"type\":\"subscribe\",\"payload\":{\"Query\":\"mutation{b}\"}}", 4400)]
    // The envelope: a repeated type, an unknown member, no type, a non-string id, trailing data, not JSON at all.
    [InlineData("dup-type", "{\"type\":\"ping\",\"id\":\"1\",\"type\":\"subscribe\",\"payload\":{\"query\":\"mutation{b}\"}}", 4400)]
    [InlineData("envelope-member", "{\"id\":\"1\",\"type\":\"subscribe\",\"payload\":{\"query\":\"{a}\"},\"query\":\"mutation{b}\"}", 4400)]
    [InlineData("no-type", "{\"id\":\"1\",\"payload\":{\"query\":\"mutation{b}\"}}", 4400)]
    [InlineData("number-id", "{\"id\":1,\"type\":\"subscribe\",\"payload\":{\"query\":\"{a}\"}}", 4400)]
    [InlineData("trailing", "{\"id\":\"1\",\"type\":\"subscribe\",\"payload\":{\"query\":\"{a}\"}}{\"type\":\"subscribe\"}", 4400)]
    [InlineData("not-json", "subscribe mutation{b}", 4400)]
    [InlineData("unknown-type", "{\"id\":\"1\",\"type\":\"execute\",\"payload\":{\"query\":\"mutation{b}\"}}", 4400)]
    [InlineData("legacy-start", "{\"id\":\"1\",\"type\":\"start\",\"payload\":{\"query\":\"mutation{b}\"}}", 4400)]
    [InlineData("server-type", "{\"id\":\"1\",\"type\":\"next\",\"payload\":{\"query\":\"mutation{b}\"}}", 4400)]
    // Judged as what the upstream will read: an escaped type is still subscribe, a persisted query needs readwrite.
    [InlineData("escaped-type", "{\"id\":\"1\",\"type\":\"subscrib\\u0065\",\"payload\":{\"query\":\"mutation{b}\"}}", 4403)]
    [InlineData("persisted", "{\"id\":\"1\",\"type\":\"subscribe\",\"payload\":{\"extensions\":{\"persistedQuery\":{\"version\":1,\"sha256Hash\":\"abc\"}}}}", 4403)]
    [InlineData("two-operations", "{\"id\":\"1\",\"type\":\"subscribe\",\"payload\":{\"query\":\"query A{a} mutation B{b}\",\"operationName\":\"A\"}}", 4403)]
    public async Task OddMessages_CloseTheConnection_AndNeverReachUpstream(string marker, string message, int closeStatus)
    {
        using var client = await gateway.GraphQLAsync("odd-" + marker, gateway.ReadKey);
        await client.InitAsync();

        await client.SendAsync(message);

        Assert.Equal(closeStatus, await client.ClosedWithAsync());
        Assert.Equal(["{\"type\":\"connection_init\"}"], gateway.Upstream.MessagesFor("odd-" + marker));
    }

    [Theory]
    [InlineData("query", "{\"type\":\"connection_init\",\"payload\":{\"query\":\"mutation{b}\"}}")]
    [InlineData("nested", "{\"type\":\"connection_init\",\"payload\":{\"headers\":{\"Query\":\"mutation{b}\"}}}")]
    [InlineData("in-array", "{\"type\":\"connection_init\",\"payload\":{\"ops\":[{\"operationName\":\"B\"}]}}")]
    [InlineData("duplicate", "{\"type\":\"connection_init\",\"payload\":{\"a\":1,\"a\":2}}")]
    [InlineData("string", "{\"type\":\"connection_init\",\"payload\":\"mutation{b}\"}")]
    [InlineData("with-id", "{\"id\":\"1\",\"type\":\"connection_init\",\"payload\":{}}")]
    [InlineData("ping-query", "{\"type\":\"ping\",\"payload\":{\"extensions\":{\"persistedQuery\":{}}}}")]
    public async Task ConnectionInitTricks_Close4400_BeforeUpstreamSeesThem(string marker, string message)
    {
        using var client = await gateway.GraphQLAsync("init-" + marker, gateway.ReadKey);

        await client.SendAsync(message);

        Assert.Equal(4400, await client.ClosedWithAsync());
        Assert.Empty(gateway.Upstream.MessagesFor("init-" + marker));
    }

    [Fact]
    public async Task ConnectionInitPayload_WithOrdinaryParams_PingPongComplete_PassThrough()
    {
        using var client = await gateway.GraphQLAsync("plain-init", gateway.ReadKey);
        string[] messages =
        [
            "{\"type\":\"connection_init\",\"payload\":{\"authToken\":\"t\",\"headers\":{\"x-trace\":\"1\"}}}",
            "{\"type\":\"ping\"}",
            "{\"type\":\"pong\",\"payload\":{\"at\":1}}",
            "{\"id\":\"1\",\"type\":\"complete\"}",
        ];
        foreach (var message in messages)
        {
            await client.SendAsync(message);
            Assert.NotNull(await client.ReceiveAsync());
        }

        Assert.Equal(messages, gateway.Upstream.MessagesFor("plain-init"));
    }

    [Fact]
    public async Task BinaryFrame_Closes1003_AndNeverReachesUpstream()
    {
        using var client = await gateway.GraphQLAsync("binary", gateway.ReadKey);
        await client.InitAsync();

        await client.SendAsync(WsClient.Subscribe("1", Subscription), type: System.Net.WebSockets.WebSocketMessageType.Binary);

        Assert.Equal(1003, await client.ClosedWithAsync());
        Assert.Single(gateway.Upstream.MessagesFor("binary"));
    }

    [Fact]
    public async Task OversizedMessage_Closes1009_AndNeverReachesUpstream()
    {
        using var client = await gateway.GraphQLAsync("oversized", gateway.WriteKey);
        await client.InitAsync();
        var padding = new string(' ', WebSocketFixture.MaxMessageBytes);

        await client.SendAsync("{\"id\":\"1\",\"type\":\"subscribe\",\"payload\":{\"query\":\"{a}" + padding + "\"}}");

        Assert.Equal(1009, await client.ClosedWithAsync());
        Assert.Single(gateway.Upstream.MessagesFor("oversized"));
    }

    [Fact]
    public async Task PerMessageDeflateOffered_IsNotNegotiated_UpstreamNeverSeesTheOffer()
    {
        using var client = await gateway.GraphQLAsync("deflate", gateway.ReadKey,
            edit: options => options.DangerousDeflateOptions = new System.Net.WebSockets.WebSocketDeflateOptions());
        Assert.True(client.Connected);
        await client.InitAsync();

        await client.SendAsync(WsClient.Subscribe("1", Subscription));

        Assert.Contains("\"next\"", await client.ReceiveAsync());
        Assert.Null(Assert.Single(gateway.Upstream.For("deflate")).Extensions);
    }
}
