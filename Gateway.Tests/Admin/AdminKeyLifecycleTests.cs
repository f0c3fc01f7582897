using System.Net;
using System.Text.Json.Nodes;
using Gateway.Keys;
using Gateway.Tests.Caching;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Admin;

/// <summary>Create, read, list, change and delete keys through the admin API (README: "Admin API").</summary>
[Collection(AdminCollection.Name)]
public sealed class AdminKeyLifecycleTests(AdminFixture fixture)
{
    private static readonly string[] ViewMembers =
        ["id", "name", "kind", "prefix", "permission", "graphql", "endpoints", "enabled", "createdAt", "lastUsedAt", "expiresAt", "allowedIps", "rateLimits", "replaces", "replacedBy"];

    private GatewayHost Host => fixture.Host;

    [Fact]
    public async Task Create_Is201_WithLocation_TheView_AndThePlaintextOnce()
    {
        var answer = await AdminApi.PostAsync(Host, "/admin/keys", new { name = "created" });

        Assert.Equal(HttpStatusCode.Created, answer.Status);
        Assert.Equal("application/json", answer.MediaType);
        var created = answer.Object;
        var key = (string)created["key"]!;
        var id = (string)created["id"]!;
        Assert.Equal(KeyForm.Rpa, KeyFormat.Classify(key));
        Assert.Equal(ViewMembers.Append("key").Order(), created.Select(m => m.Key).Order());
        Assert.Equal("created", (string?)created["name"]);
        Assert.Equal("rpa", (string?)created["kind"]);
        Assert.Equal(key[..8], (string?)created["prefix"]);
        Assert.Equal("none", (string?)created["graphql"]);
        Assert.Empty(created["endpoints"]!.AsObject());
        Assert.Equal("restricted", (string?)created["permission"]);
        Assert.True((bool)created["enabled"]!);
        Assert.Null(created["lastUsedAt"]);
        Assert.Null(created["expiresAt"]);
        Assert.DoesNotContain(key, (string)created["id"]!);

        Assert.NotNull(answer.Location);
        Assert.EndsWith($"/admin/keys/{id}", answer.Location!.OriginalString);
        var fetched = await AdminApi.GetAsync(Host, answer.Location.OriginalString);
        Assert.Equal(HttpStatusCode.OK, fetched.Status);
        Assert.Equal(ViewMembers.Order(), fetched.Object.Select(m => m.Key).Order());
        Assert.DoesNotContain(key, fetched.Text);
        Assert.Equal((string?)created["createdAt"], (string?)fetched.Json["createdAt"]);
    }

    [Fact]
    public async Task ListAndGet_NeverShowThePlaintext()
    {
        var created = await AdminApi.CreateAsync(Host, new { name = "secret-kept" });
        var key = (string)created["key"]!;

        var list = await AdminApi.GetAsync(Host, "/admin/keys");

        Assert.Equal(HttpStatusCode.OK, list.Status);
        Assert.DoesNotContain(key, list.Text);
        Assert.All(list.Json["keys"]!.AsArray(), view => Assert.Null(view!["key"]));
        Assert.Contains(list.Json["keys"]!.AsArray(), view => (string?)view!["id"] == (string?)created["id"]);
    }

    [Fact]
    public async Task List_IsNewestFirst()
    {
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var created = await AdminApi.CreateAsync(Host, new { name = $"order-{i}" });
            ids.Add((string)created["id"]!);
            var createdAt = DateTimeOffset.Parse((string)created["createdAt"]!, System.Globalization.CultureInfo.InvariantCulture);
            // Creation times are kept to the millisecond: let the clock move on so the order is defined.
            await Eventually.TrueAsync(() => DateTimeOffset.UtcNow > createdAt.AddMilliseconds(2), "the clock to pass the creation time");
        }

        var listed = (await AdminApi.GetAsync(Host, "/admin/keys")).Json["keys"]!.AsArray();

        var times = listed.Select(view => (string)view!["createdAt"]!).ToList();
        Assert.Equal(times.OrderDescending(StringComparer.Ordinal), times);
        var positions = ids.Select(id => listed.Select(view => (string?)view!["id"]).ToList().IndexOf(id)).ToList();
        Assert.All(positions, position => Assert.True(position >= 0));
        Assert.True(positions[2] < positions[1] && positions[1] < positions[0], string.Join(",", positions));
    }

    [Fact]
    public async Task Get_UnknownId_Is404()
    {
        AdminApi.AssertRefused(await AdminApi.GetAsync(Host, "/admin/keys/no-such-key"), HttpStatusCode.NotFound, "key_not_found");
        AdminApi.AssertRefused(await AdminApi.PatchAsync(Host, "no-such-key", new { name = "x" }), HttpStatusCode.NotFound, "key_not_found");
        var deleted = await AdminApi.SendAsync(Host.Admin, HttpMethod.Delete, "/admin/keys/no-such-key", null);
        Assert.Equal(HttpStatusCode.NotFound, deleted.Status);
    }

    [Fact]
    public async Task Patch_ChangesEachField_AndOnlyThat()
    {
        var created = await AdminApi.CreateAsync(Host, new { name = "patch-me", graphql = "read" });
        var id = (string)created["id"]!;

        var renamed = await AdminApi.PatchAsync(Host, id, new { name = "renamed" });
        Assert.Equal(HttpStatusCode.OK, renamed.Status);
        Assert.Equal("renamed", (string?)renamed.Json["name"]);
        Assert.Equal("read", (string?)renamed.Json["graphql"]);

        var disabled = await AdminApi.PatchAsync(Host, id, new { enabled = false });
        Assert.False((bool)disabled.Json["enabled"]!);
        Assert.Equal("renamed", (string?)disabled.Json["name"]);

        var scoped = await AdminApi.PatchAsync(Host, id, new { graphql = "readwrite", endpoints = new Dictionary<string, string> { ["*"] = "readwrite" } });
        Assert.Equal("readwrite", (string?)scoped.Json["graphql"]);
        Assert.Equal("readwrite", (string?)scoped.Json["endpoints"]!["*"]);
        Assert.Equal("all", (string?)scoped.Json["permission"]);
        Assert.False((bool)scoped.Json["enabled"]!);

        var expiry = DateTimeOffset.UtcNow.AddDays(3);
        var expiring = await AdminApi.PatchAsync(Host, id, new { expiresAt = expiry.ToString("O") });
        Assert.Equal(HttpStatusCode.OK, expiring.Status);
        var shown = DateTimeOffset.Parse((string)expiring.Json["expiresAt"]!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True((shown - expiry).Duration() < TimeSpan.FromMilliseconds(1), $"{shown:O} vs {expiry:O}");

        var cleared = await AdminApi.PatchAsync(Host, id, JsonNode.Parse("{\"expiresAt\": null}")!.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, cleared.Status);
        Assert.Null(cleared.Json["expiresAt"]);

        var fetched = await AdminApi.GetAsync(Host, $"/admin/keys/{id}");
        Assert.Equal(cleared.Text, fetched.Text);
    }

    [Fact]
    public async Task Patch_EnabledFalse_StopsTheKey_AndTrueRestoresIt()
    {
        var created = await AdminApi.CreateAsync(Host, CacheProbe.EveryEndpoint("toggle"));
        var (key, id) = ((string)created["key"]!, (string)created["id"]!);
        Assert.True(await CacheProbe.PassesAsync(Host, key));

        Assert.Equal(HttpStatusCode.OK, (await AdminApi.PatchAsync(Host, id, new { enabled = false })).Status);
        await Eventually.TrueAsync(() => CacheProbe.RefusedAsync(Host, key, "key_disabled"), "the key to be disabled", TimeSpan.FromSeconds(1));

        Assert.Equal(HttpStatusCode.OK, (await AdminApi.PatchAsync(Host, id, new { enabled = true })).Status);
        await Eventually.TrueAsync(() => CacheProbe.PassesAsync(Host, key), "the key to work again", TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task Delete_Is204_ThenTheKeyStopsWorking_AndIsGone()
    {
        var created = await AdminApi.CreateAsync(Host, CacheProbe.EveryEndpoint("delete-me"));
        var (key, id) = ((string)created["key"]!, (string)created["id"]!);
        Assert.True(await CacheProbe.PassesAsync(Host, key));

        var deleted = await AdminApi.SendAsync(Host.Admin, HttpMethod.Delete, $"/admin/keys/{id}", null);

        Assert.Equal(HttpStatusCode.NoContent, deleted.Status);
        await Eventually.TrueAsync(() => CacheProbe.RefusedAsync(Host, key, "invalid_key"), "the deleted key to be refused", TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.NotFound, (await AdminApi.GetAsync(Host, $"/admin/keys/{id}")).Status);
        Assert.DoesNotContain(id, (await AdminApi.GetAsync(Host, "/admin/keys")).Text);
    }
}
