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
        var received = await SpoofedHeader.SendOnBothRoutesAsync(Host, Upstream, $"{name}: key_spoofed", "X-Other_Header");

        Assert.All(received, seen =>
        {
            Assert.DoesNotContain(seen.Headers, h => h.Key.Replace('_', '-').Equals("X-Gateway-Key-Id", StringComparison.OrdinalIgnoreCase));
            Assert.False(seen.Contains("key_spoofed"), seen.RawTarget);
            // Other underscore headers are not this gateway's to judge: they pass.
            Assert.Equal("kept", seen.Header("X-Other_Header"));
        });
    }
}
