using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Audit;

public sealed class AuditLogTests(GatewayTest.Parts parts) : GatewayTest(parts)
{
    // Each test reads the newest audit entries as its own.
    protected override bool PartsPerTest => true;

    [Fact]
    public async Task EveryAdminChange_IsRecordedNewestFirst_WithBeforeAndAfterAndNoSecret()
    {
        var (key, id) = await Host.CreateKeyAsync(new { name = "audited", graphql = "read", endpoints = new Dictionary<string, string> { ["*"] = "read" } });
        Assert.Equal(HttpStatusCode.OK, (await Host.Admin.PatchAsJsonAsync($"/admin/keys/{id}", new { enabled = false })).StatusCode);
        using (var viaCli = new HttpRequestMessage(HttpMethod.Patch, $"/admin/keys/{id}") { Content = JsonContent.Create(new { graphql = "readwrite" }) })
        {
            viaCli.Headers.Add("X-Gateway-Client", "cli");
            Assert.Equal(HttpStatusCode.OK, (await Host.Admin.SendAsync(viaCli)).StatusCode);
        }

        Assert.Equal(HttpStatusCode.NoContent, (await Host.Admin.DeleteAsync($"/admin/keys/{id}")).StatusCode);

        var text = await Host.Admin.GetStringAsync("/admin/audit?limit=10");
        var entries = JsonNode.Parse(text)!["entries"]!.AsArray();

        Assert.Equal(["delete", "update", "disable", "create"], entries.Select(e => (string)e!["action"]!).ToArray());
        Assert.All(entries, e => Assert.Equal(id, (string)e!["keyId"]!));
        Assert.All(entries, e => Assert.Equal("admin-token", (string)e!["actor"]!));
        Assert.Equal("cli", (string)entries[1]!["client"]!);
        Assert.Equal("api", (string)entries[2]!["client"]!);
        Assert.Equal("read", (string)entries[1]!["before"]!["graphql"]!);
        Assert.Equal("readwrite", (string)entries[1]!["after"]!["graphql"]!);
        Assert.True((bool)entries[2]!["before"]!["enabled"]!);
        Assert.False((bool)entries[2]!["after"]!["enabled"]!);
        Assert.Null(entries[0]!["after"]);
        Assert.Null(entries[3]!["before"]);
        Assert.DoesNotContain(key, text);
        Assert.DoesNotContain(GatewayHost.AdminToken, text);
        Assert.DoesNotContain(Gateway.Keys.KeyDigest.Compute(key).ToHex(), text);
    }

    [Fact]
    public async Task Limit_IsBoundedAndValidated()
    {
        for (var i = 0; i < 3; i++)
        {
            await Host.CreateKeyAsync(new { name = "n" + i });
        }

        var two = JsonNode.Parse(await Host.Admin.GetStringAsync("/admin/audit?limit=2"))!["entries"]!.AsArray();
        Assert.Equal(2, two.Count);
        Assert.Equal("n2", (string)two[0]!["after"]!["name"]!);

        foreach (var bad in new[] { "0", "1001", "x", "1&limit=2" })
        {
            using var response = await Host.Admin.GetAsync("/admin/audit?limit=" + bad);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("limit", await response.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task Audit_NeedsTheAdminToken()
    {
        using var anonymous = new HttpClient { BaseAddress = Host.Listeners.AdminUri };
        using var response = await anonymous.GetAsync("/admin/audit");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
