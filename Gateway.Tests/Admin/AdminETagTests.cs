using System.Net;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Admin;

/// <summary>
/// Views carry an ETag; a PATCH or DELETE whose If-Match no longer matches is 412 precondition_failed,
/// and changes nothing. The tag is the version of the key's settings: using the key (lastUsedAt) does not move it.
/// </summary>
public sealed class AdminETagTests(GatewayTest.Parts parts) : GatewayTest(parts)
{
    private static readonly object NewKey = new { name = "tagged", endpoints = new Dictionary<string, string> { ["*"] = "read" } };

    [Fact]
    public async Task CreateGetAndPatch_CarryTheVersionAsAStrongETag()
    {
        var created = await AdminApi.SendAsync(Host.Admin, HttpMethod.Post, "/admin/keys", AdminApi.Serialize(NewKey));
        var id = (string)created.Json["id"]!;
        var create = await AdminWrites.GetAsync(Host.Admin, id);
        Assert.Equal("\"1\"", create.ETag);

        var patched = await AdminWrites.PatchAsync(Host.Admin, id, """{"name":"renamed"}""");
        Assert.Equal(HttpStatusCode.OK, patched.Status);
        Assert.Equal("\"2\"", patched.ETag);
        Assert.Equal("\"2\"", (await AdminWrites.GetAsync(Host.Admin, id)).ETag);
    }

    [Fact]
    public async Task Create_AnswersWithTheFirstVersionsETag()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/admin/keys") { Content = System.Net.Http.Json.JsonContent.Create(NewKey) };
        using var response = await Host.Admin.SendAsync(request);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("\"1\"", response.Headers.ETag?.ToString());
    }

    [Fact]
    public async Task PatchWithAStaleIfMatch_Is412_AndChangesNothing()
    {
        var (key, id) = await Host.CreateKeyAsync(NewKey);
        var first = await AdminWrites.GetAsync(Host.Admin, id);
        Assert.Equal(HttpStatusCode.OK, (await AdminWrites.PatchAsync(Host.Admin, id, """{"name":"moved on"}""")).Status);

        var stale = await AdminWrites.PatchAsync(Host.Admin, id, """{"enabled":false}""", first.ETag);

        AssertPreconditionFailed(stale);
        var now = await AdminWrites.GetAsync(Host.Admin, id);
        Assert.True((bool)now.Body!["enabled"]!);
        Assert.Equal("\"2\"", now.ETag);
        Assert.Equal(200, (await Host.SendWithKeyAsync(HttpMethod.Get, "/v2/ep1/still-works", key)).Status);
        var trail = JsonNode.Parse(await Host.Admin.GetStringAsync("/admin/audit?limit=1000"))!["entries"]!.AsArray();
        Assert.DoesNotContain(trail, e => (string?)e!["keyId"] == id && (string?)e["action"] == "disable");
    }

    [Fact]
    public async Task PatchWithTheCurrentIfMatch_OrAStar_OrAListHoldingIt_IsApplied()
    {
        var (_, id) = await Host.CreateKeyAsync(NewKey);
        Assert.Equal("\"2\"", (await AdminWrites.PatchAsync(Host.Admin, id, """{"name":"a"}""", "\"1\"")).ETag);
        Assert.Equal("\"3\"", (await AdminWrites.PatchAsync(Host.Admin, id, """{"name":"b"}""", "*")).ETag);
        Assert.Equal("\"4\"", (await AdminWrites.PatchAsync(Host.Admin, id, """{"name":"c"}""", "\"9\", \"3\"")).ETag);
        Assert.Equal("c", (string)(await AdminWrites.GetAsync(Host.Admin, id)).Body!["name"]!);
    }

    [Fact]
    public async Task AWeakIfMatch_NeverMatches()
    {
        var (_, id) = await Host.CreateKeyAsync(NewKey);
        AssertPreconditionFailed(await AdminWrites.PatchAsync(Host.Admin, id, """{"name":"a"}""", "W/\"1\""));
        Assert.Equal("tagged", (string)(await AdminWrites.GetAsync(Host.Admin, id)).Body!["name"]!);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("\"1")]
    [InlineData("*, \"1\"")]
    [InlineData("")]
    public async Task AMalformedIfMatch_Is400NamingIt_AndChangesNothing(string ifMatch)
    {
        var (_, id) = await Host.CreateKeyAsync(NewKey);
        var answer = await AdminWrites.PatchAsync(Host.Admin, id, """{"enabled":false}""", ifMatch);
        Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
        Assert.Equal("invalid_request", answer.Code);
        Assert.Contains("If-Match", (string)answer.Body!["detail"]!);
        Assert.Equal(HttpStatusCode.BadRequest, (await AdminWrites.DeleteAsync(Host.Admin, id, ifMatch)).Status);
        var stored = await AdminWrites.GetAsync(Host.Admin, id);
        Assert.True((bool)stored.Body!["enabled"]!);
        Assert.Equal("\"1\"", stored.ETag);
    }

    [Fact]
    public async Task DeleteWithAStaleIfMatch_Is412_AndTheKeyKeepsWorking_WithTheCurrentOne_204()
    {
        var (key, id) = await Host.CreateKeyAsync(NewKey);
        Assert.Equal(HttpStatusCode.OK, (await AdminWrites.PatchAsync(Host.Admin, id, """{"name":"moved on"}""")).Status);

        AssertPreconditionFailed(await AdminWrites.DeleteAsync(Host.Admin, id, "\"1\""));
        Assert.Equal(200, (await Host.SendWithKeyAsync(HttpMethod.Get, "/v2/ep1/not-deleted", key)).Status);

        Assert.Equal(HttpStatusCode.NoContent, (await AdminWrites.DeleteAsync(Host.Admin, id, "\"2\"")).Status);
        // The delete reaches this instance's cache through the invalidation message, within a second: polled, not raced.
        await Eventually.TrueAsync(
            async () => (await Host.SendWithKeyAsync(HttpMethod.Get, "/v2/ep1/deleted", key)).Status == 401,
            "the deleted key to be refused", TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task AnUnknownKey_Is404_WhateverIfMatchSays()
    {
        // RFC 9110 §13.2.1: preconditions are not evaluated when the request would fail without them.
        Assert.Equal(HttpStatusCode.NotFound, (await AdminWrites.PatchAsync(Host.Admin, "key_unknown", """{"name":"a"}""", "*")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await AdminWrites.DeleteAsync(Host.Admin, "key_unknown", "\"1\"")).Status);
    }

    [Fact]
    public async Task UsingTheKey_SetsLastUsedAt_ButNotTheETag()
    {
        var (key, id) = await Host.CreateKeyAsync(NewKey);
        Assert.Equal(200, (await Host.SendWithKeyAsync(HttpMethod.Get, "/v2/ep1/used", key)).Status);
        VersionedAnswer? seen = null;
        await Eventually.TrueAsync(async () => (seen = await AdminWrites.GetAsync(Host.Admin, id)).Body!["lastUsedAt"] is not null, "lastUsedAt to be written");

        Assert.Equal("\"1\"", seen!.ETag);
        Assert.Equal(HttpStatusCode.OK, (await AdminWrites.PatchAsync(Host.Admin, id, """{"enabled":false}""", "\"1\"")).Status);
    }

    [Fact]
    public async Task APatchThatChangesNothing_WritesNothing_AndIsNotAudited()
    {
        var (_, id) = await Host.CreateKeyAsync(NewKey);
        var same = await AdminWrites.PatchAsync(Host.Admin, id, """{"enabled":true,"name":"tagged"}""");
        Assert.Equal(HttpStatusCode.OK, same.Status);
        Assert.Equal("\"1\"", same.ETag);
        var trail = JsonNode.Parse(await Host.Admin.GetStringAsync("/admin/audit?limit=1000"))!["entries"]!.AsArray();
        Assert.Equal(["create"], trail.Where(e => (string?)e!["keyId"] == id).Select(e => (string)e!["action"]!));
    }

    private static void AssertPreconditionFailed(VersionedAnswer answer)
    {
        Assert.True(answer.Status == HttpStatusCode.PreconditionFailed, $"expected 412, got {(int)answer.Status} {answer.Text}");
        Assert.Equal("precondition_failed", answer.Code);
        Assert.Equal(412, (int?)answer.Body!["status"]);
    }
}
