using System.Net;
using System.Net.Http.Headers;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Enforcement;

public sealed class SmokeTests(GatewayTest.Parts parts) : GatewayTest(parts)
{
    [Fact]
    public async Task Endpoint_GrantedKey_ReachesUpstreamWithoutTheKey()
    {
        var (key, _) = await Host.CreateKeyAsync(new { name = "smoke", endpoints = new Dictionary<string, string> { ["*"] = "readwrite" } });

        using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/ep1/run") { Content = new StringContent("{}") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await Host.Proxy.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = Assert.Single(Upstream.Received);
        Assert.Equal("/v2/ep1/run", seen.Path);
        Assert.False(seen.Contains(key));
        Assert.Null(seen.Header("Authorization"));
    }
}
