using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Keys;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Admin;

/// <summary><c>POST /admin/keys/{id}/roll</c> (contract section 8): the answer, what is copied, the old key's new state, the refusals.</summary>
public sealed class AdminRollTests(GatewayTest.Parts parts) : GatewayTest(parts)
{
    [Fact]
    public async Task Roll_Is201_WithLocation_NoStore_TheNewView_AndPlaintextOnce_CopyingEverySetting()
    {
        var expiresAt = DateTimeOffset.UtcNow.AddDays(30);
        var old = await AdminApi.CreateAsync(Host, new
        {
            name = "to roll",
            graphql = "read",
            endpoints = new Dictionary<string, string> { ["ep1"] = "readwrite", ["*"] = "read" },
            expiresAt = expiresAt.ToString("O"),
            rateLimits = new[] { new { requests = 10, windowSeconds = 1 } },
            allowedIps = new[] { "127.0.0.0/8", "2001:db8::/32" },
        });
        var oldId = (string)old["id"]!;
        var before = DateTimeOffset.UtcNow;

        using var response = await RollAsync(Host, oldId, """{"graceSeconds": 3600}""");
        var text = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        var created = JsonNode.Parse(text)!.AsObject();
        var newId = (string)created["id"]!;
        var plaintext = (string)created["key"]!;
        Assert.Equal($"/admin/keys/{newId}", response.Headers.Location?.ToString());
        Assert.NotNull(response.Headers.ETag);
        Assert.NotEqual(oldId, newId);
        Assert.Equal(KeyForm.Rpa, KeyFormat.Classify(plaintext));
        Assert.Equal(plaintext[..8], (string?)created["prefix"]);
        Assert.Equal(oldId, (string?)created["replaces"]);
        Assert.Null(created["replacedBy"]);
        foreach (var member in new[] { "name", "kind", "graphql", "endpoints", "enabled", "expiresAt", "rateLimits", "allowedIps", "permission" })
        {
            Assert.True(JsonNode.DeepEquals(old[member], created[member]), $"{member}: {old[member]?.ToJsonString()} vs {created[member]?.ToJsonString()}");
        }

        // The plaintext is shown this once: the new key's own view has none.
        var newView = (await AdminApi.GetAsync(Host, $"/admin/keys/{newId}")).Object;
        Assert.Null(newView["key"]);
        Assert.Equal(oldId, (string?)newView["replaces"]);

        // The old key: replacedBy the new one, expiring at the grace's end, otherwise unchanged.
        var oldView = (await AdminApi.GetAsync(Host, $"/admin/keys/{oldId}")).Object;
        Assert.Equal(newId, (string?)oldView["replacedBy"]);
        Assert.Null(oldView["replaces"]);
        var oldExpiry = DateTimeOffset.Parse((string)oldView["expiresAt"]!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(oldExpiry, before.AddSeconds(3600).AddSeconds(-1), DateTimeOffset.UtcNow.AddSeconds(3600).AddSeconds(1));
        Assert.True(JsonNode.DeepEquals(old["endpoints"], oldView["endpoints"]));
        Assert.True((bool)oldView["enabled"]!);

        // Both keys work during the grace.
        Assert.Equal(200, (await Host.SendWithKeyAsync(HttpMethod.Post, "/v2/ep1/run", plaintext)).Status);
        Assert.Equal(200, (await Host.SendWithKeyAsync(HttpMethod.Post, "/v2/ep1/run", (string)old["key"]!)).Status);

        // One audit entry names both keys: the old key's id, and its view after the roll names the new one.
        var audit = JsonNode.Parse(await Host.Admin.GetStringAsync("/admin/audit"))!["entries"]!.AsArray();
        var entry = Assert.Single(audit, e => (string?)e!["action"] == "roll" && (string?)e["keyId"] == oldId)!;
        Assert.Equal(newId, (string?)entry["after"]!["replacedBy"]);
        Assert.Null(entry["before"]!["replacedBy"]);
        Assert.DoesNotContain(plaintext, audit.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Views_OfKeysNeverRolled_HaveReplacesAndReplacedByNull()
    {
        var created = await AdminApi.CreateAsync(Host, new { name = "plain" });
        Assert.True(created.ContainsKey("replaces") && created["replaces"] is null);
        Assert.True(created.ContainsKey("replacedBy") && created["replacedBy"] is null);
        var view = (await AdminApi.GetAsync(Host, $"/admin/keys/{created["id"]}")).Object;
        Assert.True(view.ContainsKey("replaces") && view["replaces"] is null);
        Assert.True(view.ContainsKey("replacedBy") && view["replacedBy"] is null);
    }

    [Fact]
    public async Task AnExpirySoonerThanTheGrace_IsKept()
    {
        var soon = DateTimeOffset.UtcNow.AddMinutes(10);
        var old = await AdminApi.CreateAsync(Host, new { name = "soon", graphql = "read", expiresAt = soon.ToString("O") });
        var oldId = (string)old["id"]!;

        using var response = await RollAsync(Host, oldId, """{"graceSeconds": 604800}""");
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);

        var oldView = (await AdminApi.GetAsync(Host, $"/admin/keys/{oldId}")).Object;
        Assert.Equal((string?)old["expiresAt"], (string?)oldView["expiresAt"]);
        // The new key copies the old key's expiry too (contract: expiresAt is copied).
        Assert.Equal((string?)old["expiresAt"], (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["expiresAt"]);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("{}")]
    [InlineData("""{"graceSeconds": 0}""")]
    public async Task NoBody_EmptyBody_OrNoGrace_RollsWithNoGrace_AndTheOldKeyIsRefusedAtOnce(string? body)
    {
        var old = await AdminApi.CreateAsync(Host, new { name = "now", graphql = "read" });
        Assert.Equal(200, (await Host.SendWithKeyAsync(HttpMethod.Get, "/graphql?query=%7Ba%7D", (string)old["key"]!)).Status);

        using var response = await RollAsync(Host, (string)old["id"]!, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);

        // The write reached this instance's L1 through the invalidation message, as on any instance.
        await Host.EventuallyAnswersAsync(HttpMethod.Get, "/graphql?query=%7Ba%7D", (string)old["key"]!, 403, "key_expired");
        Assert.Equal(200, (await Host.SendWithKeyAsync(HttpMethod.Get, "/graphql?query=%7Ba%7D", (string)JsonNode.Parse(text)!["key"]!)).Status);
    }

    [Theory]
    [InlineData("""{"graceSeconds": -1}""", "graceSeconds")]
    [InlineData("""{"graceSeconds": 604801}""", "graceSeconds")]
    [InlineData("""{"graceSeconds": "60"}""", "graceSeconds")]
    [InlineData("""{"graceSeconds": 1.5}""", "graceSeconds")]
    [InlineData("""{"graceSeconds": null}""", "graceSeconds")]
    [InlineData("""{"graceSeconds": 1, "graceSeconds": 2}""", "graceSeconds")]
    [InlineData("""{"grace": 60}""", "grace")]
    [InlineData("""[60]""", "body")]
    [InlineData("""60""", "body")]
    [InlineData("""{"graceSeconds": 60""", "body")]
    public async Task BadBody_Is400NamingTheField_AndRollsNothing(string body, string field)
    {
        var old = await AdminApi.CreateAsync(Host, new { name = "bad body" });
        var oldId = (string)old["id"]!;

        var answer = await AdminApi.SendAsync(Host.Admin, HttpMethod.Post, $"/admin/keys/{oldId}/roll", body);

        AdminApi.AssertRefused(answer, HttpStatusCode.BadRequest, "invalid_request", field);
        Assert.Null((await AdminApi.GetAsync(Host, $"/admin/keys/{oldId}")).Object["replacedBy"]);
    }

    [Fact]
    public async Task Unknown_Is404_Disabled_Is409NotActive_Rolled_Is409AlreadyRolled()
    {
        AdminApi.AssertRefused(await RollAnswerAsync("key_" + Guid.NewGuid().ToString("N")), HttpStatusCode.NotFound, "key_not_found");

        var off = await AdminApi.CreateAsync(Host, new { name = "off", enabled = false });
        AdminApi.AssertRefused(await RollAnswerAsync((string)off["id"]!), HttpStatusCode.Conflict, "key_not_active");
        Assert.Null((await AdminApi.GetAsync(Host, $"/admin/keys/{off["id"]}")).Object["replacedBy"]);

        var once = await AdminApi.CreateAsync(Host, new { name = "once" });
        var first = await RollAnswerAsync((string)once["id"]!, """{"graceSeconds": 60}""");
        Assert.Equal(HttpStatusCode.Created, first.Status);
        var again = await RollAnswerAsync((string)once["id"]!, """{"graceSeconds": 60}""");
        AdminApi.AssertRefused(again, HttpStatusCode.Conflict, "key_already_rolled");
        Assert.Equal((string?)first.Object["id"], (string?)(await AdminApi.GetAsync(Host, $"/admin/keys/{once["id"]}")).Object["replacedBy"]);

        // The new key is an ordinary key: it rolls in turn.
        Assert.Equal(HttpStatusCode.Created, (await RollAnswerAsync((string)first.Object["id"]!, """{"graceSeconds": 60}""")).Status);
    }

    [Fact]
    public async Task IfMatch_IsHonoured_AsOnPatch()
    {
        var old = await AdminApi.CreateAsync(Host, new { name = "etag" });
        var id = (string)old["id"]!;
        using var read = await Host.Admin.GetAsync($"/admin/keys/{id}");
        var etag = read.Headers.ETag!;
        Assert.Equal(HttpStatusCode.OK, (await AdminApi.PatchAsync(Host, id, new { name = "renamed" })).Status);

        using var stale = new HttpRequestMessage(HttpMethod.Post, $"/admin/keys/{id}/roll");
        stale.Headers.IfMatch.Add(etag);
        using var refused = await Host.Admin.SendAsync(stale);
        Assert.Equal(HttpStatusCode.PreconditionFailed, refused.StatusCode);
        Assert.Null((await AdminApi.GetAsync(Host, $"/admin/keys/{id}")).Object["replacedBy"]);

        using var fresh = new HttpRequestMessage(HttpMethod.Post, $"/admin/keys/{id}/roll");
        using var current = await Host.Admin.GetAsync($"/admin/keys/{id}");
        fresh.Headers.IfMatch.Add(current.Headers.ETag!);
        using var rolled = await Host.Admin.SendAsync(fresh);
        Assert.Equal(HttpStatusCode.Created, rolled.StatusCode);
        Assert.Equal("renamed", (string?)JsonNode.Parse(await rolled.Content.ReadAsStringAsync())!["name"]);
    }

    [Fact]
    public async Task ConcurrentRolls_OnOneInstance_AndAcrossTwo_ExactlyOneSucceeds()
    {
        // A second instance on the same store and prefix: its rolls do not queue behind this instance's write gate, so
        // only the store's check-and-write decides between them.
        await using var other = new GatewayHost(Host.ConfigPath, TestStore.Configuration, Prefix).Start();
        for (var round = 0; round < 8; round++)
        {
            var old = await AdminApi.CreateAsync(Host, new { name = $"race {round}", graphql = "read" });
            var id = (string)old["id"]!;

            var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => RollAnswerAsync(id, """{"graceSeconds": 60}""", i % 2 == 0 ? Host : other)));

            var winner = Assert.Single(answers, a => a.Status == HttpStatusCode.Created);
            Assert.All(answers.Where(a => a != winner), a => AdminApi.AssertRefused(a, HttpStatusCode.Conflict, "key_already_rolled"));
            var stored = (await AdminApi.GetAsync(Host, $"/admin/keys/{id}")).Object;
            Assert.Equal((string?)winner.Object["id"], (string?)stored["replacedBy"]);
            // No loser left a key behind: the list holds the old key and the winner's only.
            var listed = JsonNode.Parse(await Host.Admin.GetStringAsync($"/admin/keys?q={Uri.EscapeDataString($"race {round}")}"))!["keys"]!.AsArray();
            Assert.Equal(2, listed.Count);
        }
    }

    private static async Task<HttpResponseMessage> RollAsync(GatewayHost host, string id, string? body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/admin/keys/{id}/roll");
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        return await host.Admin.SendAsync(request);
    }

    private Task<AdminAnswer> RollAnswerAsync(string id, string? body = null, GatewayHost? host = null) =>
        AdminApi.SendAsync((host ?? Host).Admin, HttpMethod.Post, $"/admin/keys/{id}/roll", body);
}
