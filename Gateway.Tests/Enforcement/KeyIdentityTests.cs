using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Enforcement;

/// <summary>
/// <c>Upstreams:&lt;clusterId&gt;:ForwardKeyId</c> (contract section 8): the judged key's id reaches the upstream as
/// <c>X-Gateway-Key-Id</c> only where configured, and a client's own header of that name never reaches any upstream.
/// </summary>
public sealed class KeyIdentityTests(GatewayTest.Parts parts) : GatewayTest(parts)
{
    private const string Header = "X-Gateway-Key-Id";

    protected override bool PartsPerTest => true;

    protected override void ConfigureLogging(ILoggingBuilder logging) => logging.AddFakeLogging();

    // The serverless cluster forwards the id; the graphql cluster has no setting (the default, off).
    protected override string WriteConfig(Uri upstream) => GatewayHost.WriteConfig(upstream, config => Edit(config, graphql: null));

    [Fact]
    public async Task ConfiguredCluster_GetsTheJudgedKeysId_AndOthersDoNot()
    {
        var (key, id) = await Host.CreateKeyAsync(new { name = "identity", graphql = "read", endpoints = new Dictionary<string, string> { ["*"] = "read" } });

        Assert.Equal(HttpStatusCode.OK, await SendAsync(key, "/v2/ep1/status"));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(key, "/graphql?query=%7Ba%7D"));

        var received = Upstream.Received.ToArray();
        Assert.Equal(2, received.Length);
        Assert.Equal(id, received[0].Header(Header));
        Assert.Null(received[1].Header(Header));
    }

    [Theory]
    [InlineData("X-Gateway-Key-Id")]
    [InlineData("x-gateway-key-id")]
    [InlineData("X-GATEWAY-KEY-ID")]
    public async Task ClientSentHeader_NeverReachesAnUpstream_InAnyCaseOrNumber(string name)
    {
        var (key, id) = await Host.CreateKeyAsync(new { name = "spoof", graphql = "read", endpoints = new Dictionary<string, string> { ["*"] = "read" } });
        var lines = new[] { $"Authorization: Bearer {key}", $"{name}: spoofed-one", $"{name}: spoofed-two, spoofed-three" };

        var endpoint = await RawHttp.SendAsync(Host.Listeners.ProxyUri!, "GET", "/v2/ep1/status", lines);
        var graphql = await RawHttp.SendAsync(Host.Listeners.ProxyUri!, "GET", "/graphql?query=%7Ba%7D", lines);

        Assert.Equal(200, endpoint.Status);
        Assert.Equal(200, graphql.Status);
        var received = Upstream.Received.ToArray();
        Assert.Equal(2, received.Length);
        // Configured: exactly the real id, one value. Not configured: nothing at all.
        Assert.Equal([id], received[0].Headers.Single(h => h.Key.Equals(Header, StringComparison.OrdinalIgnoreCase)).Value);
        Assert.Null(received[1].Header(Header));
        Assert.All(received, seen => Assert.False(seen.Contains("spoofed"), seen.RawTarget));
    }

    [Fact]
    public async Task Reload_TurnsTheSettingOn_AndAnInvalidValueIsRefusedKeepingTheLast()
    {
        var (key, id) = await Host.CreateKeyAsync(new { name = "reload", graphql = "read" });
        Assert.Equal(HttpStatusCode.OK, await SendAsync(key, "/graphql?query=%7Ba%7D"));
        Assert.Null(Upstream.Received.Single().Header(Header));

        Rewrite(graphql: true);
        await Eventually.TrueAsync(async () =>
        {
            Upstream.Clear();
            return await SendAsync(key, "/graphql?query=%7Ba%7D") == HttpStatusCode.OK && Upstream.Received.Single().Header(Header) == id;
        }, "the reloaded ForwardKeyId to apply");

        // "yes" is not a bool: the whole reload is refused, and the last valid value (on) stays.
        Rewrite(graphql: "yes");
        await Eventually.TrueAsync(() => Host.FakeLog().Logged("ForwardKeyId"), "the refused reload to be logged naming ForwardKeyId");
        Upstream.Clear();
        Assert.Equal(HttpStatusCode.OK, await SendAsync(key, "/graphql?query=%7Ba%7D"));
        Assert.Equal(id, Upstream.Received.Single().Header(Header));
    }

    private async Task<HttpStatusCode> SendAsync(string key, string target)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, target);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await Host.Proxy.SendAsync(request);
        return response.StatusCode;
    }

    private static void Edit(JsonObject config, JsonNode? graphql)
    {
        var upstreams = new JsonObject { ["serverless"] = new JsonObject { ["ForwardKeyId"] = true } };
        if (graphql is not null)
        {
            upstreams["graphql"] = new JsonObject { ["ForwardKeyId"] = graphql };
        }

        config["Upstreams"] = upstreams;
    }

    private void Rewrite(JsonNode graphql)
    {
        var config = GatewayHost.StandardConfig(Upstream.Address);
        Edit(config, graphql);
        var temporary = Host.ConfigPath + "." + Guid.NewGuid().ToString("N") + ".tmp";
        File.WriteAllText(temporary, config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        File.Move(temporary, Host.ConfigPath, overwrite: true);
    }
}
