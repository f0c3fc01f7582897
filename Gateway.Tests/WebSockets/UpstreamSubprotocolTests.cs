namespace Gateway.Tests.WebSockets;

/// <summary>An upstream that answers with a subprotocol the client did not offer gets no message: the relay closes at once.</summary>
public sealed class UpstreamSubprotocolTests(WebSocketFixture gateway) : IClassFixture<WebSocketFixture>
{
    [Fact]
    public async Task UpstreamChoosesAnotherSubprotocol_RelayClosesBothSides_NothingForwarded()
    {
        gateway.Upstream.ForceProtocol = "chat";

        using var client = await gateway.GraphQLAsync("forced", gateway.ReadKey);

        // The client refuses the answer itself (a subprotocol it did not offer); the relay closes on its own as well,
        // counted with its reason.
        await Infrastructure.Eventually.TrueAsync(async () =>
            (await gateway.Host.Admin.GetStringAsync("/metrics")).Contains("reason=\"bad_subprotocol\"", StringComparison.Ordinal),
            "the relay's close to be counted as bad_subprotocol");
        var upstream = Assert.Single(gateway.Upstream.For("forced"));
        await Infrastructure.Eventually.TrueAsync(() => upstream.Closed, "the upstream connection to be closed");
        Assert.Empty(upstream.Messages);
    }
}
