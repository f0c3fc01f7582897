using System.Net;
using System.Net.Http.Headers;
using Gateway.Abuse;
using Gateway.Tests.Caching;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Attack;

/// <summary>
/// Attack (found, fixed): the failed-key and failed-admin limits counted each client address alone, and an IPv6 client
/// chooses any of the 2^64 addresses of its /64 at will, so from one subnet every guess could come from a fresh address
/// with a fresh budget (and a fresh limiter held in memory for the window): the limit that keeps invented legacy-shaped
/// keys from costing a store read each did not hold. An IPv6 client is now counted by its /64. Here the client addresses
/// come through a trusted proxy's <c>X-Forwarded-For</c>, as they would behind a load balancer.
/// </summary>
public sealed class FailedAttemptIpv6SubnetTests(GatewayTest.Parts parts) : GatewayTest(parts)
{
    protected override bool PartsPerTest => true;

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Abuse:FailedKeyAttempts"] = "3",
        ["Abuse:Window"] = "00:10:00",
        ["ForwardedHeaders:KnownProxies:0"] = "127.0.0.1",
    };

    [Fact]
    public async Task GuessesFromFreshAddressesOfOneIpv6Subnet_ShareOneBudget_AndPastItCostNoStoreRead()
    {
        var (valid, _) = await Host.CreateKeyAsync(new { name = "other subnet", endpoints = new Dictionary<string, string> { ["*"] = "read" } });
        for (var i = 1; i <= 3; i++)
        {
            using var refused = await SendFromAsync($"2001:db8:1:2::{i:x}", CacheProbe.NewLegacyToken());
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        var lookups = CacheProbe.StoreReads(Host);
        foreach (var address in new[] { "2001:db8:1:2::99", "2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2:a:b:c:d" })
        {
            using var limited = await SendFromAsync(address, CacheProbe.NewLegacyToken());
            Assert.Equal((HttpStatusCode)429, limited.StatusCode);
        }

        Assert.Equal(lookups, CacheProbe.StoreReads(Host));

        // Another /64 has its own budget: its unknown key is looked up and refused as unknown, its valid key is served.
        using (var unknown = await SendFromAsync("2001:db8:1:3::1", CacheProbe.NewLegacyToken()))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        }

        using (var served = await SendFromAsync("2001:db8:1:3::2", valid))
        {
            Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        }

        Assert.Equal(1, Upstream.Count);
    }

    [Theory]
    [InlineData("2001:db8:1:2::1", "2001:db8:1:2::")]
    [InlineData("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::")]
    [InlineData("fe80::1%2", "fe80::")]
    [InlineData("::ffff:203.0.113.7", "203.0.113.7")]
    [InlineData("203.0.113.7", "203.0.113.7")]
    [InlineData("::1", "::")]
    public void AnIpv6Address_CountsAsItsSubnet_AndIpv4AsItself(string address, string counted) =>
        Assert.Equal(IPAddress.Parse(counted), FailedAttemptLimiter.Normalize(IPAddress.Parse(address)));

    private async Task<HttpResponseMessage> SendFromAsync(string clientAddress, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v2/ep1/status");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        request.Headers.Add("X-Forwarded-For", clientAddress);
        return await Host.Proxy.SendAsync(request);
    }
}
