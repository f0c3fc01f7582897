using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.WebSockets;

namespace Gateway.Tests.Attack;

/// <summary>
/// Attack (found, fixed): a key's <c>rateLimits</c> were spent only by the HTTP request that opened a GraphQL WebSocket;
/// every <c>subscribe</c> after it reached the upstream without touching the limit, so a key limited to a few requests
/// an hour ran any number of queries (and, with <c>readwrite</c>, mutations) through one connection. Each operation
/// message now spends the limit as a POST would; one over the limit closes the connection (4429 <c>rate_limited</c>)
/// before the upstream receives it, and is counted as <c>limited</c>.
/// </summary>
public sealed class WebSocketRateLimitTests(WebSocketFixture gateway) : IClassFixture<WebSocketFixture>
{
    [Theory]
    [InlineData("graphql-transport-ws", "subscribe")]
    [InlineData("graphql-ws", "start")]
    public async Task OperationsOnOneWebSocket_SpendTheKeysLimit_AndTheOneOverItNeverReachesTheUpstream(string protocol, string type)
    {
        var marker = "ws-limit-" + type;
        // Three requests an hour: the upgrade spends one, so two operations may pass.
        var (key, id) = await gateway.Host.CreateKeyAsync(new
        {
            name = "limited ws",
            graphql = "readwrite",
            rateLimits = new[] { new { requests = 3, windowSeconds = 3600 } },
        });
        using var client = await gateway.GraphQLAsync(marker, key, [protocol]);
        Assert.True(client.Connected, $"upgrade answered {client.Status}");
        await client.SendAsync(protocol == "graphql-ws" ? "{\"type\":\"connection_init\",\"payload\":{}}" : "{\"type\":\"connection_init\"}");
        Assert.Contains("connection_ack", await client.ReceiveAsync(), StringComparison.Ordinal);

        for (var i = 1; i <= 2; i++)
        {
            await client.SendAsync(WsClient.Subscribe(i.ToString(System.Globalization.CultureInfo.InvariantCulture), "{ pods { id } }", type));
            Assert.Contains(type == "start" ? "\"data\"" : "\"next\"", await client.ReceiveAsync(), StringComparison.Ordinal);
        }

        await client.SendAsync(WsClient.Subscribe("over", "mutation { createPod { id } }", type));
        Assert.Equal(4429, await client.ClosedWithAsync());

        var seen = gateway.Upstream.MessagesFor(marker);
        Assert.Equal(3, seen.Count); // connection_init and the two operations within the limit
        Assert.DoesNotContain(seen, m => m.Contains("over", StringComparison.Ordinal));

        // The limit is spent: a new connection is refused at its upgrade, and never reaches the upstream.
        using var again = await gateway.GraphQLAsync(marker + "-again", key, [protocol]);
        Assert.Equal(429, again.Status);
        Assert.Empty(gateway.Upstream.For(marker + "-again"));

        // The refused operation and the refused upgrade are counted as limited; the upgrade and two operations as allowed.
        await Eventually.TrueAsync(async () =>
        {
            var usage = JsonNode.Parse(await gateway.Host.Admin.GetStringAsync($"/admin/keys/{id}/usage?days=1"))!;
            var graphql = usage["days"]?.AsArray().FirstOrDefault()?["targets"]?["graphql"];
            return graphql is not null && (long?)graphql["allowed"] == 3 && (long?)graphql["limited"] == 2;
        }, "usage to show 3 allowed and 2 limited");
    }

    [Fact]
    public async Task AKeyWithoutLimits_RunsAnyNumberOfOperations_OnOneWebSocket()
    {
        const string Marker = "ws-unlimited";
        using var client = await gateway.GraphQLAsync(Marker, gateway.ReadKey);
        await client.InitAsync();
        for (var i = 0; i < 20; i++)
        {
            await client.SendAsync(WsClient.Subscribe(i.ToString(System.Globalization.CultureInfo.InvariantCulture), "{ pods { id } }"));
            Assert.Contains("\"next\"", await client.ReceiveAsync(), StringComparison.Ordinal);
        }

        Assert.Equal(21, gateway.Upstream.MessagesFor(Marker).Count);
    }
}
