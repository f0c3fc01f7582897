using System.Text;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Enforcement;

/// <summary>
/// The <c>KeyScopes:MaxGraphQL*</c> settings reach the classifier: through a real gateway with small limits, a
/// document just under each passes to the upstream and one just over is 400 invalid_graphql, never forwarded.
/// </summary>
public sealed class GraphQLLimitsGatewayTests : IAsyncLifetime
{
    private RecordingUpstream _upstream = null!;
    private GatewayHost _host = null!;
    private string _key = null!;

    public async Task InitializeAsync()
    {
        _upstream = await RecordingUpstream.StartAsync();
        _host = new GatewayHost(GatewayHost.WriteConfig(_upstream.Address), TestStore.Configuration, TestStore.UniquePrefix(), new Dictionary<string, string?>
        {
            ["KeyScopes:MaxGraphQLDepth"] = "3",
            ["KeyScopes:MaxGraphQLTokens"] = "12",
            ["KeyScopes:MaxGraphQLAliases"] = "2",
        }).Start();
        (_key, _) = await _host.CreateKeyAsync(new { name = "limits", graphql = "read" });
    }

    public async Task DisposeAsync()
    {
        var configPath = _host.ConfigPath;
        await _host.DisposeAsync();
        await _upstream.DisposeAsync();
        File.Delete(configPath);
    }

    [Theory]
    [InlineData("{ a { b { c } } }", false)]
    [InlineData("{ a { b { c { d } } } }", true)]
    [InlineData("{ a b c d e f g h i j }", false)]
    [InlineData("{ a b c d e f g h i j k }", true)]
    [InlineData("{ x: a y: b }", false)]
    [InlineData("{ x: a y: b z: c }", true)]
    public async Task ConfiguredLimit_JustUnderIsForwarded_JustOverIsRefused(string document, bool refused)
    {
        var marker = Guid.NewGuid().ToString("N");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql")
        {
            Content = new StringContent(document, Encoding.UTF8, "application/graphql"),
        };
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + _key);
        request.Headers.TryAddWithoutValidation(BypassFixture.MarkerHeader, marker);
        using var response = await _host.Proxy.SendAsync(request);
        var answer = await ProxyResponse.FromAsync(response);

        var forwarded = _upstream.Received.Any(seen => seen.Header(BypassFixture.MarkerHeader) == marker);
        if (refused)
        {
            Assert.Equal(400, answer.Status);
            Assert.Equal("invalid_graphql", answer.Code);
            Assert.False(forwarded);
        }
        else
        {
            Assert.Equal(200, answer.Status);
            Assert.True(forwarded);
        }
    }
}
