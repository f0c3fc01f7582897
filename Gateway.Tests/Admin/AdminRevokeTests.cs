using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Admin;

/// <summary>
/// <c>POST /admin/keys/revoke</c> (contract section 8, leaked keys): every matching key is disabled, already-disabled ones
/// are listed too, unknown plaintexts are counted, the body is never logged or echoed, and every instance refuses the
/// key within a second.
/// </summary>
public sealed class AdminRevokeTests(GatewayTest.Parts parts) : GatewayTest(parts)
{
    protected override void ConfigureLogging(ILoggingBuilder logging) => logging.AddFakeLoggingAtTrace();

    [Fact]
    public async Task Revoke_DisablesMatches_ListsAlreadyDisabled_CountsUnknown_AndAuditsIdsOnly()
    {
        var (live, liveId) = await Host.CreateKeyAsync(new { name = "leaked-live", graphql = "read" });
        var (off, offId) = await Host.CreateKeyAsync(new { name = "leaked-off", graphql = "read", enabled = false });
        var (other, _) = await Host.CreateKeyAsync(new { name = "not-leaked", graphql = "read" });
        Assert.Equal(HttpStatusCode.OK, await ProxyStatusAsync(Host, live));

        // The same leak twice is one key; a made-up rpa key and a random string match nothing.
        var response = await RevokeAsync(Host, live, off, live, "rpa_" + new string('x', 40), "not a key at all");
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = JsonNode.Parse(text)!;
        Assert.Equal(2, (int)json["unknown"]!);
        var revoked = json["revoked"]!.AsArray().Select(v => ((string)v!["id"]!, (bool)v["enabled"]!)).OrderBy(v => v.Item1).ToArray();
        Assert.Equal(new[] { (liveId, false), (offId, false) }.OrderBy(v => v.Item1), revoked);
        Assert.DoesNotContain(live, text, StringComparison.Ordinal);
        Assert.DoesNotContain(off, text, StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.Forbidden, await ProxyStatusAsync(Host, live));
        Assert.Equal(HttpStatusCode.OK, await ProxyStatusAsync(Host, other));

        // One audit entry, for the key this call changed; it names ids, never a plaintext.
        var audit = await Host.Admin.GetStringAsync("/admin/audit");
        var entries = JsonNode.Parse(audit)!["entries"]!.AsArray()
            .Where(e => (string?)e!["action"] == "revoke" && (string?)e["keyId"] is { } id && (id == liveId || id == offId)).ToArray();
        Assert.Equal(liveId, (string?)Assert.Single(entries)!["keyId"]);
        Assert.DoesNotContain(live, audit, StringComparison.Ordinal);
        Assert.DoesNotContain(off, audit, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RequestBody_IsNeverLogged_EvenWhenRefused()
    {
        var (key, _) = await Host.CreateKeyAsync(new { name = "log-check", graphql = "read" });
        var unknown = "rpa_" + Guid.NewGuid().ToString("N");

        Assert.Equal(HttpStatusCode.OK, (await RevokeAsync(Host, key, unknown)).StatusCode);
        // A refused body (an entry of the wrong type beside the plaintexts) must not be quoted either.
        using var bad = new StringContent($$"""{"keys": ["{{key}}", 5, "{{unknown}}"]}""", System.Text.Encoding.UTF8, "application/json");
        Assert.Equal(HttpStatusCode.BadRequest, (await Host.Admin.PostAsync("/admin/keys/revoke", bad)).StatusCode);

        var lines = Host.FakeLog().AllTexts();
        Assert.NotEmpty(lines);
        Assert.All(lines, line =>
        {
            Assert.DoesNotContain(key, line, StringComparison.Ordinal);
            Assert.DoesNotContain(unknown, line, StringComparison.Ordinal);
        });
    }

    [Theory]
    [InlineData("""{"keys": []}""")]
    [InlineData("""{"keys": [""]}""")]
    [InlineData("""{"keys": null}""")]
    [InlineData("""{}""")]
    public async Task InvalidBody_Is400NamingKeys(string body)
    {
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        var response = await Host.Admin.PostAsync("/admin/keys/revoke", content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("keys", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task MoreThan1000Keys_Is400NamingKeys()
    {
        var keys = Enumerable.Range(0, 1001).Select(i => $"rpa_leak{i}").ToArray();
        var response = await Host.Admin.PostAsJsonAsync("/admin/keys/revoke", new { keys });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("keys", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Revocation_IsEnforcedOnAnotherInstance_WithinASecond()
    {
        await using var other = new GatewayHost(Host.ConfigPath, TestStore.Configuration, Prefix).Start();
        var (key, _) = await Host.CreateKeyAsync(new { name = "two-instances", graphql = "read" });
        // Both instances hold the key in memory, live.
        Assert.Equal(HttpStatusCode.OK, await ProxyStatusAsync(Host, key));
        Assert.Equal(HttpStatusCode.OK, await ProxyStatusAsync(other, key));

        Assert.Equal(HttpStatusCode.OK, (await RevokeAsync(Host, key)).StatusCode);

        await Eventually.TrueAsync(async () => await ProxyStatusAsync(other, key) == HttpStatusCode.Forbidden,
            "the other instance to refuse the revoked key", TimeSpan.FromSeconds(1));
        Upstream.Clear();
        Assert.Equal(HttpStatusCode.Forbidden, await ProxyStatusAsync(other, key));
        Assert.Equal(HttpStatusCode.Forbidden, await ProxyStatusAsync(Host, key));
        Assert.Equal(0, Upstream.Count);
    }

    private static Task<HttpResponseMessage> RevokeAsync(GatewayHost host, params string[] keys) =>
        host.Admin.PostAsJsonAsync("/admin/keys/revoke", new { keys });

    private static async Task<HttpStatusCode> ProxyStatusAsync(GatewayHost host, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/graphql?query=%7Ba%7D");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await host.Proxy.SendAsync(request);
        return response.StatusCode;
    }
}
