using System.Text;
using Gateway.GraphQL;
using Gateway.WebSockets;

namespace Gateway.Tests.WebSockets;

/// <summary>The message judge and the upgrade rules, directly: pure decisions, no server.</summary>
public sealed class GraphQLMessageJudgeTests
{
    private static MessageVerdict Judge(string message, GraphQLSubprotocol protocol = GraphQLSubprotocol.TransportWs) =>
        GraphQLMessageJudge.Judge(Encoding.UTF8.GetBytes(message), protocol, GraphQLLimits.Default);

    [Theory]
    [InlineData("{\"id\":\"1\",\"type\":\"subscribe\",\"payload\":{\"query\":\"subscription{a}\"}}", GraphQLNeed.Read)]
    [InlineData("{\"id\":\"1\",\"type\":\"subscribe\",\"payload\":{\"query\":\"{a}\",\"variables\":{\"x\":1},\"operationName\":null}}", GraphQLNeed.Read)]
    [InlineData("{\"type\":\"subscribe\",\"payload\":{\"query\":\"mutation{a}\"},\"id\":\"1\"}", GraphQLNeed.ReadWrite)]
    [InlineData("{\"id\":\"1\",\"type\":\"subscribe\",\"payload\":{\"query\":\"query A{a} mutation B{b}\",\"operationName\":\"A\"}}", GraphQLNeed.ReadWrite)]
    [InlineData("{\"id\":\"1\",\"type\":\"subscribe\",\"payload\":{\"query\":null,\"extensions\":{\"persistedQuery\":{\"sha256Hash\":\"a\"}}}}", GraphQLNeed.ReadWrite)]
    [InlineData("{\"id\":\"1\",\"\\u0074ype\":\"subscribe\",\"payload\":{\"query\":\"mutation{a}\"}}", GraphQLNeed.ReadWrite)]
    public void Operations_NeedWhatAPostBodyWould(string message, GraphQLNeed need)
    {
        var verdict = Judge(message);

        Assert.Equal(MessageAction.Operation, verdict.Action);
        Assert.Equal(need, verdict.Need);
    }

    [Fact]
    public void LegacyStart_IsAnOperation_OnlyInGraphQLWs()
    {
        const string start = "{\"id\":\"1\",\"type\":\"start\",\"payload\":{\"query\":\"mutation{a}\"}}";

        Assert.Equal(MessageAction.Operation, Judge(start, GraphQLSubprotocol.LegacyWs).Action);
        Assert.Equal(MessageAction.Invalid, Judge(start).Action);
    }

    [Theory]
    [InlineData("{\"type\":\"connection_init\"}")]
    [InlineData("{\"type\":\"connection_init\",\"payload\":null}")]
    [InlineData("{\"type\":\"connection_init\",\"payload\":{\"Authorization\":\"x\",\"nested\":{\"a\":[1,2]}}}")]
    [InlineData("{\"type\":\"ping\"}")]
    [InlineData("{\"type\":\"pong\",\"payload\":{}}")]
    [InlineData("{\"id\":\"1\",\"type\":\"complete\"}")]
    [InlineData(" {\"type\":\"ping\"} ")]
    public void NonOperations_AreForwarded(string message) =>
        Assert.Equal(MessageAction.Forward, Judge(message).Action);

    [Theory]
    [InlineData("")]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("{\"type\":\"ping\"")]
    [InlineData("{\"type\":\"ping\",}")]
    [InlineData("{\"type\":\"ping\"} x")]
    [InlineData("{\"type\":\"ping\" /* c */}")]
    [InlineData("{\"type\":1}")]
    [InlineData("{\"type\":\"ping\",\"type\":\"ping\"}")]
    [InlineData("{\"type\":\"ping\",\"typ\\u0065\":\"subscribe\"}")]
    [InlineData("{\"Type\":\"ping\"}")]
    [InlineData("{\"type\":\"complete\"}")]
    [InlineData("{\"id\":\"1\",\"type\":\"complete\",\"payload\":{}}")]
    [InlineData("{\"id\":\"1\",\"type\":\"subscribe\"}")]
    [InlineData("{\"type\":\"subscribe\",\"payload\":{\"query\":\"{a}\"}}")]
    [InlineData("{\"id\":\"1\",\"type\":\"subscribe\",\"payload\":null}")]
    [InlineData("{\"id\":\"1\",\"type\":\"subscribe\",\"payload\":[{\"query\":\"{a}\"}]}")]
    [InlineData("{\"id\":\"1\",\"type\":\"subscribe\",\"payload\":{\"query\":\"{a}\",\"query\":\"{b}\"}}")]
    [InlineData("{\"id\":\"1\",\"type\":\"subscribe\",\"payload\":{\"query\":\"type A { a: Int }\"}}")]
    [InlineData("{\"id\":\"1\",\"type\":\"subscribe\",\"payload\":{\"query\":\"{\"}}")]
    [InlineData("{\"type\":\"connection_init\",\"payload\":{\"query\":\"mutation{a}\"}}")]
    [InlineData("{\"type\":\"connection_init\",\"payload\":{\"x\":{\"OPERATIONNAME\":\"a\"}}}")]
    [InlineData("{\"type\":\"connection_init\",\"payload\":{\"a\":1,\"a\":2}}")]
    [InlineData("{\"type\":\"connection_init\",\"payload\":[]}")]
    [InlineData("{\"type\":\"ping\",\"payload\":{\"documentId\":\"abc\"}}")]
    [InlineData("{\"type\":\"connection_ack\"}")]
    [InlineData("{\"id\":\"1\",\"type\":\"next\",\"payload\":{}}")]
    public void EverythingElse_IsInvalid(string message) =>
        Assert.Equal(MessageAction.Invalid, Judge(message).Action);

    [Fact]
    public void InvalidUtf8_IsInvalid() =>
        Assert.Equal(MessageAction.Invalid, GraphQLMessageJudge.Judge([.. "{\"type\":\"ping\",\"payload\":{\"a\":\""u8, 0xC3, .. "\"}}"u8], GraphQLSubprotocol.TransportWs, GraphQLLimits.Default).Action);

    [Theory]
    [InlineData(null, true)]
    [InlineData("", true)]
    [InlineData("?", true)]
    [InlineData("?api_key=abc", true)]
    [InlineData("?api_key=a&api_key=a", true)]
    [InlineData("?query=%7Ba%7D", false)]
    [InlineData("?api_key=a&x=1", false)]
    [InlineData("?api_key=a;query=b", false)]
    [InlineData("?API_KEY=a", false)]
    [InlineData("?api_key", false)]
    [InlineData("?api_key=a&", false)]
    public void UpgradeQueryString_HoldsOnlyApiKey(string? query, bool accepted) =>
        Assert.Equal(accepted, GraphQLUpgradeRules.QueryHoldsOnlyApiKey(query));

    [Theory]
    [InlineData("graphql-transport-ws", true)]
    [InlineData("graphql-ws, graphql-transport-ws", true)]
    [InlineData("graphql-ws,graphql-ws", true)]
    [InlineData("", false)]
    [InlineData("graphql-ws, ", false)]
    [InlineData("GraphQL-WS", false)]
    [InlineData("graphql-ws, chat", false)]
    public void Subprotocols_AreExactlyTheTwo(string offered, bool accepted)
    {
        var verdict = GraphQLUpgradeRules.Check("websocket", null, "", offered.Length == 0 ? default : new Microsoft.Extensions.Primitives.StringValues(offered), out _);

        Assert.Equal(accepted, !verdict.IsRefused);
    }

    [Theory]
    [InlineData("h2c", null)]
    [InlineData("websocket, h2c", null)]
    [InlineData(null, "webtransport")]
    public void OnlyWebSocketUpgrades(string? upgrade, string? connectProtocol) =>
        Assert.True(GraphQLUpgradeRules.Check(upgrade, connectProtocol, "", "graphql-ws", out _).IsRefused);
}
