using System.Net;
using System.Net.Http.Headers;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Enforcement;

public sealed class SmokeTests : IAsyncLifetime
{
    private RecordingUpstream _upstream = null!;
    private GatewayHost _host = null!;

    public async Task InitializeAsync()
    {
        _upstream = await RecordingUpstream.StartAsync();
        _host = new GatewayHost(GatewayHost.WriteConfig(_upstream.Address), TestStore.Configuration, TestStore.UniquePrefix()).Start();
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    [Fact]
    public async Task Endpoint_GrantedKey_ReachesUpstreamWithoutTheKey()
    {
        var (key, _) = await _host.CreateKeyAsync(new { name = "smoke", endpoints = new Dictionary<string, string> { ["*"] = "readwrite" } });

        using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/ep1/run") { Content = new StringContent("{}") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await _host.Proxy.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = Assert.Single(_upstream.Received);
        Assert.Equal("/v2/ep1/run", seen.Path);
        Assert.False(seen.Contains(key));
        Assert.Null(seen.Header("Authorization"));
    }
}
