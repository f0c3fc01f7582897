using Gateway.Tests.Infrastructure;
using static Gateway.Tests.ClientAddresses.ClientCalls;

namespace Gateway.Tests.ClientAddresses;

/// <summary>
/// <c>X-Forwarded-For</c> from a configured proxy (127.0.0.1 here, as <c>ForwardedHeaders:KnownProxies</c>; and
/// 172.16.0.0/12 as <c>KnownNetworks</c>, a second proxy tier), read by ASP.NET Core's rules: right to left, the first
/// address that is not itself a known proxy is the client. Each case is marked so the upstream's log shows whether it passed.
/// </summary>
public sealed class TrustedProxyTests(GatewayTest.Parts parts) : GatewayTest(parts)
{
    protected override IDictionary<string, string?>? Settings => new Dictionary<string, string?>
    {
        ["ForwardedHeaders:KnownProxies:0"] = "127.0.0.1",
        ["ForwardedHeaders:KnownNetworks:0"] = "172.16.0.0/12",
    };

    [Theory]
    // One address from the proxy: it is the client.
    [InlineData("ten-plain", "10.0.0.0/8", 200, "X-Forwarded-For: 10.1.2.3")]
    [InlineData("other-plain", "10.0.0.0/8", 403, "X-Forwarded-For: 192.168.1.1")]
    // A proxy that appends: what the client sent is on the left, what the proxy saw is right-most, and wins.
    [InlineData("appended-spoof", "10.0.0.0/8", 403, "X-Forwarded-For: 10.1.2.3, 192.168.1.1")]
    [InlineData("appended-real", "10.0.0.0/8", 200, "X-Forwarded-For: 192.168.1.1, 10.1.2.3")]
    // Several headers read as one list, in order.
    [InlineData("headers-spoof", "10.0.0.0/8", 403, "X-Forwarded-For: 10.1.2.3", "X-Forwarded-For: 192.168.1.1")]
    [InlineData("headers-real", "10.0.0.0/8", 200, "X-Forwarded-For: 192.168.1.1", "x-forwarded-for: 10.1.2.3")]
    // A known proxy tier on the right is skipped; the first address that is not a proxy is the client.
    [InlineData("tier-real", "10.0.0.0/8", 200, "X-Forwarded-For: 192.168.0.1, 10.1.2.3, 172.16.0.5")]
    [InlineData("tier-spoof", "10.0.0.0/8", 403, "X-Forwarded-For: 10.1.2.3, 192.168.0.1, 172.16.0.5")]
    [InlineData("tier-headers", "10.0.0.0/8", 200, "X-Forwarded-For: 10.1.2.3", "X-Forwarded-For: 172.31.255.1")]
    // IPv6 clients, with and without brackets and port.
    [InlineData("v6", "2001:db8::/32", 200, "X-Forwarded-For: 2001:db8::1")]
    [InlineData("v6-port", "2001:db8::/32", 200, "X-Forwarded-For: [2001:db8::1]:443")]
    [InlineData("v6-outside", "2001:db8::/32", 403, "X-Forwarded-For: 2001:db9::1")]
    // An IPv4-mapped client matches an IPv4 block, and an IPv4 client a mapped block.
    [InlineData("mapped", "10.0.0.0/8", 200, "X-Forwarded-For: ::ffff:10.1.2.3")]
    [InlineData("mapped-outside", "10.0.0.0/8", 403, "X-Forwarded-For: ::ffff:11.1.2.3")]
    [InlineData("v4-in-mapped-block", "::ffff:10.0.0.0/104", 200, "X-Forwarded-For: 10.1.2.3")]
    // A zone id changes nothing about the address it names.
    [InlineData("zone", "fe80::/10", 200, "X-Forwarded-For: [fe80::1%25]:80")]
    [InlineData("zone-outside", "10.0.0.0/8", 403, "X-Forwarded-For: fe80::1%1")]
    // What does not parse as an address stops the reading: the client is the last address read (the proxy here).
    [InlineData("garbage", "10.0.0.0/8", 403, "X-Forwarded-For: unknown")]
    [InlineData("garbage-right", "10.0.0.0/8", 403, "X-Forwarded-For: 10.1.2.3, nonsense")]
    [InlineData("garbage-proxy", "127.0.0.1", 200, "X-Forwarded-For: 10.1.2.3, nonsense")]
    // Only X-Forwarded-For counts, even from a trusted proxy.
    [InlineData("forwarded", "10.0.0.0/8", 403, "Forwarded: for=10.1.2.3")]
    [InlineData("real-ip", "10.0.0.0/8", 403, "X-Real-IP: 10.1.2.3")]
    [InlineData("true-client-ip", "10.0.0.0/8", 403, "True-Client-IP: 10.1.2.3")]
    // No header: the proxy itself is the client.
    [InlineData("none-proxy", "127.0.0.1", 200)]
    [InlineData("none", "10.0.0.0/8", 403)]
    public async Task ClientAddress_IsTheRightMostAddressNotAKnownProxy(string marker, string allowed, int status, params string[] headers)
    {
        var key = await KeyAsync(Host, allowed);

        var response = await SendAsync(Host, key, marker, headers);

        Assert.Equal(status, response.Status);
        Assert.Equal(status == 200, Saw(Upstream, marker));
        if (status == 403)
        {
            Assert.Equal("ip_not_allowed", response.Code);
        }
    }
}
