using Gateway.Tests.Infrastructure;
using static Gateway.Tests.ClientAddresses.ClientCalls;

namespace Gateway.Tests.ClientAddresses;

/// <summary>A proxy listener on [::1]: the peer is an IPv6 address, matched by IPv6 entries only.</summary>
public sealed class Ipv6PeerTests(GatewayTest.Parts parts) : GatewayTest(parts)
{
    protected override IDictionary<string, string?>? Settings => new Dictionary<string, string?>
    {
        ["Kestrel:Endpoints:Proxy:Url"] = "http://[::1]:0",
    };

    [Theory]
    [InlineData("v6-exact", "::1", 200)]
    [InlineData("v6-block", "::/64", 200)]
    [InlineData("v6-other", "2001:db8::/32", 403)]
    [InlineData("v4-loopback", "127.0.0.1", 403)]
    [InlineData("v4-any", "0.0.0.0/0", 403)]
    public async Task Ipv6Peer_MatchesIPv6Entries(string marker, string allowed, int status)
    {
        Assert.Equal("[::1]", Host.Listeners.ProxyUri!.Host);
        var key = await KeyAsync(Host, allowed);

        var response = await SendAsync(Host, key, marker);

        Assert.Equal(status, response.Status);
        Assert.Equal(status == 200, Saw(Upstream, marker));
    }
}
