using Gateway.Tests.Enforcement;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Attack;

/// <summary>
/// Attack: <c>X_Gateway_Key_Id</c> (underscores) is a different header to the gateway, but CGI-style upstreams (WSGI,
/// Rack, PHP) read it as the same <c>HTTP_X_GATEWAY_KEY_ID</c> as the gateway's <c>X-Gateway-Key-Id</c>: a client could
/// name any key to them. Every spelling that maps to the same variable is removed before forwarding.
/// </summary>
public sealed class KeyIdHeaderVariantTests(GatewayTest.Parts parts) : GatewayTest(parts)
{
    protected override bool PartsPerTest => true;

    [Theory]
    [InlineData("X_Gateway_Key_Id")]
    [InlineData("x_gateway_key_id")]
    [InlineData("X-Gateway-Key_Id")]
    [InlineData("X_GATEWAY-KEY-ID")]
    public async Task AnUnderscoreSpelling_OfTheKeyIdHeader_NeverReachesTheUpstream(string name)
    {
        var (key, _) = await Host.CreateKeyAsync(new { name = "spoof", graphql = "read", endpoints = new Dictionary<string, string> { ["*"] = "read" } });
        var lines = new[] { $"Authorization: Bearer {key}", $"{name}: key_spoofed", "X-Other_Header: kept" };

        var endpoint = await RawHttp.SendAsync(Host.Listeners.ProxyUri!, "GET", "/v2/ep1/status", lines);
        var graphql = await RawHttp.SendAsync(Host.Listeners.ProxyUri!, "GET", "/graphql?query=%7Ba%7D", lines);

        Assert.Equal(200, endpoint.Status);
        Assert.Equal(200, graphql.Status);
        var received = Upstream.Received.ToArray();
        Assert.Equal(2, received.Length);
        Assert.All(received, seen =>
        {
            Assert.DoesNotContain(seen.Headers, h => h.Key.Replace('_', '-').Equals("X-Gateway-Key-Id", StringComparison.OrdinalIgnoreCase));
            Assert.False(seen.Contains("key_spoofed"), seen.RawTarget);
            // Other underscore headers are not this gateway's to judge: they pass.
            Assert.Equal("kept", seen.Header("X-Other_Header"));
        });
    }
}
