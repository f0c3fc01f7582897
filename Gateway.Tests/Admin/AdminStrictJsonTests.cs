using System.Net;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Admin;

/// <summary>
/// Admin bodies are read strictly at every depth (unknown and repeated members are 400s naming the field), and a PATCH
/// tells an absent member from one given as null.
/// </summary>
[Collection(AdminCollection.Name)]
public sealed class AdminStrictJsonTests(AdminFixture fixture)
{
    private GatewayHost Host => fixture.Host;

    public static TheoryData<string, string> BadImports => new()
    {
        { "{\"keys\":[{\"key\":\"@KEY\",\"name\":\"n\",\"graphql\":\"read\",\"colour\":\"red\"}]}", "keys[0].colour" },
        { "{\"keys\":[{\"key\":\"@KEY\",\"name\":\"n\",\"graphql\":\"read\",\"colour\":null}]}", "keys[0].colour" },
        { "{\"keys\":[{\"key\":\"@KEY\",\"name\":\"n\",\"graphql\":\"read\",\"name\":\"m\"}]}", "keys[0].name" },
        { "{\"keys\":[{\"key\":\"@KEY\",\"name\":\"n\",\"graphql\":\"read\"}],\"keys\":[]}", "keys" },
        { "{\"keys\":[{\"key\":\"@KEY\",\"name\":\"n\"}]}", "keys[0]" },
        { "{\"keys\":[{\"key\":\"@KEY\",\"name\":null,\"graphql\":\"read\"}]}", "keys[0].name" },
    };

    [Theory]
    [MemberData(nameof(BadImports))]
    public async Task Import_WithUnknownRepeatedOrMissingNestedMembers_Is400_NamingTheField_AndImportsNothing(string template, string field)
    {
        var legacy = Guid.NewGuid().ToString("N") + "-legacy-strict";

        var answer = await AdminApi.PostAsync(Host, "/admin/keys/legacy", template.Replace("@KEY", legacy, StringComparison.Ordinal));

        AdminApi.AssertRefused(answer, HttpStatusCode.BadRequest, "invalid_request", field);
        Assert.DoesNotContain(legacy, answer.Text, StringComparison.Ordinal);
        var listed = (await AdminApi.GetAsync(Host, "/admin/keys")).Text;
        Assert.DoesNotContain(legacy[..8], listed, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"endpoints\":{\"ep1\":\"read\",\"ep1\":\"readwrite\"}}", "endpoints")]
    [InlineData("{\"endpoints\":{\"ep1\":null}}", "ep1")]
    [InlineData("{\"name\":\"a\",\"name\":\"a\"}", "name")]
    [InlineData("{\"colour\":null}", "colour")]
    public async Task Patch_WithRepeatedOrUnknownMembers_AtAnyDepth_Is400(string body, string field)
    {
        var id = (string)(await AdminApi.CreateAsync(Host, new { name = "strict-patch" }))["id"]!;

        AdminApi.AssertRefused(await AdminApi.PatchAsync(Host, id, body), HttpStatusCode.BadRequest, "invalid_request", field);

        Assert.Equal("strict-patch", (string?)(await AdminApi.GetAsync(Host, $"/admin/keys/{id}")).Json["name"]);
    }

    [Fact]
    public async Task Patch_AbsentExpiresAt_KeepsIt_NullExpiresAt_RemovesIt()
    {
        var expiry = DateTimeOffset.UtcNow.AddDays(3).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        var id = (string)(await AdminApi.CreateAsync(Host, new { name = "absent-null", expiresAt = expiry }))["id"]!;

        var renamed = await AdminApi.PatchAsync(Host, id, "{\"name\":\"renamed\"}");
        Assert.Equal(HttpStatusCode.OK, renamed.Status);
        Assert.NotNull((string?)renamed.Json["expiresAt"]);

        var cleared = await AdminApi.PatchAsync(Host, id, "{\"expiresAt\":null}");
        Assert.Equal(HttpStatusCode.OK, cleared.Status);
        Assert.Null(cleared.Json["expiresAt"]);
        Assert.Equal("renamed", (string?)cleared.Json["name"]);
        Assert.Null((await AdminApi.GetAsync(Host, $"/admin/keys/{id}")).Json["expiresAt"]);
    }

    [Theory]
    [InlineData("name")]
    [InlineData("enabled")]
    [InlineData("graphql")]
    [InlineData("endpoints")]
    public async Task Patch_NullForAMemberThatCannotBeRemoved_Is400_NotIgnored(string member)
    {
        var id = (string)(await AdminApi.CreateAsync(Host, new { name = "null-member", graphql = "read" }))["id"]!;

        var answer = await AdminApi.PatchAsync(Host, id, $"{{\"{member}\":null}}");

        AdminApi.AssertRefused(answer, HttpStatusCode.BadRequest, "invalid_request", member);
        var after = (await AdminApi.GetAsync(Host, $"/admin/keys/{id}")).Json;
        Assert.Equal("null-member", (string?)after["name"]);
        Assert.Equal("read", (string?)after["graphql"]);
        Assert.True((bool)after["enabled"]!);
    }

    [Fact]
    public async Task Patch_EmptyObject_ChangesNothing()
    {
        var created = await AdminApi.CreateAsync(Host, new { name = "empty-patch", graphql = "read" });

        var answer = await AdminApi.PatchAsync(Host, (string)created["id"]!, "{}");

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal("empty-patch", (string?)answer.Json["name"]);
        Assert.Equal("read", (string?)answer.Json["graphql"]);
    }
}
