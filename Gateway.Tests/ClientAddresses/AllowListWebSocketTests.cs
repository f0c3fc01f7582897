using System.Net.Http.Json;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.WebSockets;

namespace Gateway.Tests.ClientAddresses;

/// <summary>
/// WebSocket upgrades are judged by the allow-list like any request (refused before the upstream hears of them), over
/// HTTP/1.1 and HTTP/2, and an open connection closes when a PATCH takes its client address out of the list.
/// </summary>
public sealed class AllowListWebSocketTests(WebSocketFixture gateway) : IClassFixture<WebSocketFixture>
{
    [Theory]
    [InlineData("/graphql", "ws-ip-graphql")]
    [InlineData("/v2/ep1/ws", "ws-ip-tunnel")]
    public async Task Upgrade_FromAnAddressNotAllowed_Is403_AndNeverReachesTheUpstream(string path, string marker)
    {
        var key = await KeyAsync(marker, "10.0.0.0/8");

        using var client = await WsClient.ConnectAsync(gateway.Proxy, path, marker, key, path == "/graphql" ? null : [],
            options => options.SetRequestHeader("X-Forwarded-For", "10.1.2.3"));

        Assert.Equal(403, client.Status);
        Assert.Empty(gateway.Upstream.For(marker));
    }

    [Fact]
    public async Task PatchThatExcludesTheClient_ClosesTheOpenSocket4403()
    {
        var (key, id) = await gateway.Host.CreateKeyAsync(new { name = "ws-ip-close", graphql = "read", allowedIps = new[] { "127.0.0.1" } });
        using var client = await WsClient.ConnectAsync(gateway.Proxy, "/graphql", "ws-ip-close", key);
        Assert.True(client.Connected);
        await client.InitAsync();

        using (var patched = await gateway.Host.Admin.PatchAsJsonAsync($"/admin/keys/{id}", new { allowedIps = new[] { "10.0.0.0/8" } }))
        {
            Assert.True(patched.IsSuccessStatusCode);
        }

        Assert.Equal(4403, await client.ClosedWithAsync(TimeSpan.FromSeconds(5)));
    }

    private async Task<string> KeyAsync(string name, params string[] allowedIps) =>
        (await gateway.Host.CreateKeyAsync(new { name, graphql = "read", endpoints = new Dictionary<string, string> { ["ep1"] = "readwrite" }, allowedIps })).Key;
}

/// <summary>The same over HTTP/2 (extended CONNECT) on a listener that speaks only HTTP/2.</summary>
public sealed class AllowListHttp2Tests(Http2WebSocketFixture gateway) : IClassFixture<Http2WebSocketFixture>
{
    private static readonly HttpMessageInvoker Invoker = new(new SocketsHttpHandler());

    [Fact]
    public async Task Http2Request_AndHttp2Upgrade_FromAnAddressNotAllowed_Are403()
    {
        var key = (await gateway.Host.CreateKeyAsync(new { name = "h2-ip", graphql = "read", endpoints = new Dictionary<string, string> { ["ep1"] = "readwrite" }, allowedIps = new[] { "10.0.0.0/8" } })).Key;
        using var http2 = new HttpClient(new SocketsHttpHandler()) { BaseAddress = gateway.Proxy };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v2/ep1/status") { Version = System.Net.HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        request.Headers.Authorization = new("Bearer", key);
        request.Headers.Add("X-Forwarded-For", "10.1.2.3");

        using var response = await http2.SendAsync(request);

        Assert.Equal(System.Net.HttpVersion.Version20, response.Version);
        Assert.Equal(403, (int)response.StatusCode);
        Assert.Contains("ip_not_allowed", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var socket = await WsClient.ConnectAsync(gateway.Proxy, "/graphql", "h2-ip", key, null, options =>
        {
            options.HttpVersion = System.Net.HttpVersion.Version20;
            options.HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        }, Invoker);
        Assert.Equal(403, socket.Status);
        Assert.Empty(gateway.Upstream.For("h2-ip"));
    }
}
