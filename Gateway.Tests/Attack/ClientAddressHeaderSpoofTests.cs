using Gateway.Tests.Enforcement;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Attack;

/// <summary>
/// Attack (found, fixed): YARP replaces <c>X-Forwarded-For</c> with the address the gateway judged, but a client's
/// <c>X-Real-IP</c>, <c>True-Client-IP</c>, <c>CF-Connecting-IP</c> and the like reached the upstream unchanged, and so
/// did <c>X_Forwarded_For</c>, which CGI-style upstreams (WSGI, Rack, PHP) read as the same <c>HTTP_X_FORWARDED_FOR</c>
/// as the gateway's header. An upstream that reads any of them for its own address checks, limits or logs took the
/// client's word for its address. None reaches the upstream now, on any route kind; the gateway's
/// <c>X-Forwarded-For</c> does.
/// </summary>
public sealed class ClientAddressHeaderSpoofTests(GatewayTest.Parts parts) : GatewayTest(parts)
{
    private const string Spoofed = "203.0.113.66";

    protected override bool PartsPerTest => true;

    [Theory]
    [InlineData("X-Real-IP")]
    [InlineData("x-real-ip")]
    [InlineData("X_Real_IP")]
    [InlineData("True-Client-IP")]
    [InlineData("X-Client-IP")]
    [InlineData("CF-Connecting-IP")]
    [InlineData("Fastly-Client-IP")]
    [InlineData("X-Cluster-Client-IP")]
    [InlineData("X-Original-Forwarded-For")]
    [InlineData("X_Forwarded_For")]
    [InlineData("x_forwarded_for")]
    [InlineData("X-Forwarded_For")]
    [InlineData("X_Forwarded_Host")]
    [InlineData("X_Forwarded_Proto")]
    [InlineData("X-Forwarded-Port")]
    [InlineData("X-Forwarded-Server")]
    // Round of 1 Dec (SECURITY.md 22): forwarded by the live gateway until then.
    [InlineData("Client-IP")]
    [InlineData("client_ip")]
    [InlineData("X-Original-For")]
    [InlineData("X-Originating-IP")]
    [InlineData("X-Remote-IP")]
    [InlineData("X_Remote_Addr")]
    [InlineData("X-ProxyUser-Ip")]
    [InlineData("X-Envoy-External-Address")]
    [InlineData("X-Azure-ClientIP")]
    [InlineData("X-Azure-SocketIP")]
    public async Task AClientAddressHeader_NeverReachesTheUpstream(string name)
    {
        var received = await SpoofedHeader.SendOnBothRoutesAsync(Host, Upstream, $"{name}: {Spoofed}", "X-Other-IP-Note");

        Assert.All(received, seen =>
        {
            Assert.False(seen.Contains(Spoofed), string.Join("; ", seen.Headers.Select(h => $"{h.Key}: {string.Join(",", h.Value)}")));
            // The gateway's own word on the client address, and headers that are not address headers, still pass.
            Assert.Equal("127.0.0.1", seen.Header("X-Forwarded-For"));
            Assert.Equal("kept", seen.Header("X-Other-IP-Note"));
        });
    }
}
