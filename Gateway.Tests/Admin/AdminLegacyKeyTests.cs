using System.Net;
using Gateway.Keys;
using Gateway.Tests.Caching;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Admin;

/// <summary>Importing legacy keys, all or nothing, and what may change on one afterwards (README: "How a request is judged", "Admin API").</summary>
[Collection(AdminCollection.Name)]
public sealed class AdminLegacyKeyTests(AdminFixture fixture)
{
    private GatewayHost Host => fixture.Host;

    [Fact]
    public async Task Import_ReturnsViews_AndTheKeysWork()
    {
        var (reader, writer) = (CacheProbe.NewLegacyToken(), CacheProbe.NewLegacyToken());

        var result = await AdminApi.ImportAsync(Host, AdminApi.Legacy(reader, "read", "reader"), AdminApi.Legacy(writer, "readwrite", "writer"));

        Assert.Equal(0, (int)result["duplicates"]!);
        var imported = result["imported"]!.AsArray();
        Assert.Equal(2, imported.Count);
        var readerView = imported.Single(v => (string?)v!["name"] == "reader")!;
        Assert.Equal("legacy", (string?)readerView["kind"]);
        Assert.Equal(reader[..8], (string?)readerView["prefix"]);
        Assert.Equal("read", (string?)readerView["graphql"]);
        Assert.Equal("readwrite", (string?)readerView["endpoints"]!["*"]);
        Assert.Single(readerView["endpoints"]!.AsObject());
        Assert.Equal("restricted", (string?)readerView["permission"]);
        Assert.Null(readerView["key"]);
        Assert.Equal("all", (string?)imported.Single(v => (string?)v!["name"] == "writer")!["permission"]);
        Assert.DoesNotContain(reader, result.ToJsonString());

        Assert.True(await CacheProbe.PassesAsync(Host, reader, HttpMethod.Post));
        Assert.True(await CacheProbe.PassesAsync(Host, writer));
    }

    [Fact]
    public async Task Import_CountsKeysAlreadyPresent_AsDuplicates_AndSkipsThem()
    {
        var (first, second, third) = (CacheProbe.NewLegacyToken(), CacheProbe.NewLegacyToken(), CacheProbe.NewLegacyToken());
        var firstId = (string)(await AdminApi.ImportAsync(Host, AdminApi.Legacy(first, name: "original")))["imported"]![0]!["id"]!;

        var again = await AdminApi.ImportAsync(Host,
            AdminApi.Legacy(first, "readwrite", "again"), AdminApi.Legacy(second), AdminApi.Legacy(second), AdminApi.Legacy(third));

        Assert.Equal(2, (int)again["duplicates"]!);
        Assert.Equal(2, again["imported"]!.AsArray().Count);
        var original = await AdminApi.GetAsync(Host, $"/admin/keys/{firstId}");
        Assert.Equal("original", (string?)original.Json["name"]);
        Assert.Equal("read", (string?)original.Json["graphql"]);
    }

    [Fact]
    public async Task Import_WithOneInvalidEntry_ImportsNothing()
    {
        var valid = CacheProbe.NewLegacyToken();

        var refused = await AdminApi.PostAsync(Host, "/admin/keys/legacy",
            new { keys = new[] { AdminApi.Legacy(valid), AdminApi.Legacy("too-short") } });

        AdminApi.AssertRefused(refused, HttpStatusCode.BadRequest, "invalid_request", "keys[1].key");
        Assert.Equal("invalid_key", (await CacheProbe.SendAsync(Host, valid)).Code);
        var later = await AdminApi.ImportAsync(Host, AdminApi.Legacy(valid));
        Assert.Equal(0, (int)later["duplicates"]!);
        Assert.Single(later["imported"]!.AsArray());
    }

    [Theory]
    [InlineData("rpa")]
    [InlineData("space")]
    [InlineData("control")]
    [InlineData("long")]
    public async Task Import_RefusesTokensThatAreNotLegacyKeys(string shape)
    {
        var token = shape switch
        {
            "rpa" => KeyFormat.Generate(),
            "space" => "legacy token with spaces",
            "control" => "legacy-token\u0001-0123456789",
            _ => new string('x', 257),
        };

        var refused = await AdminApi.PostAsync(Host, "/admin/keys/legacy", new { keys = new[] { AdminApi.Legacy(token) } });

        AdminApi.AssertRefused(refused, HttpStatusCode.BadRequest, "invalid_request", "keys[0].key");
        Assert.DoesNotContain(token, refused.Text);
    }

    [Theory]
    [InlineData("none")]
    [InlineData("Read")]
    [InlineData("write")]
    public async Task Import_NeedsGraphQLReadOrReadWrite(string graphql)
    {
        var refused = await AdminApi.PostAsync(Host, "/admin/keys/legacy",
            new { keys = new[] { AdminApi.Legacy(CacheProbe.NewLegacyToken(), graphql) } });

        AdminApi.AssertRefused(refused, HttpStatusCode.BadRequest, "invalid_request", "keys[0].graphql");
    }

    [Fact]
    public async Task LegacyKey_NameAndEnabledChange_ScopesAndExpiryAre409()
    {
        var token = CacheProbe.NewLegacyToken();
        var id = (string)(await AdminApi.ImportAsync(Host, AdminApi.Legacy(token, name: "fixed")))["imported"]![0]!["id"]!;

        AdminApi.AssertRefused(await AdminApi.PatchAsync(Host, id, new { graphql = "readwrite" }), HttpStatusCode.Conflict, "legacy_key_immutable");
        AdminApi.AssertRefused(await AdminApi.PatchAsync(Host, id, new { endpoints = new Dictionary<string, string> { ["*"] = "read" } }),
            HttpStatusCode.Conflict, "legacy_key_immutable");
        AdminApi.AssertRefused(await AdminApi.PatchAsync(Host, id, new { expiresAt = DateTimeOffset.UtcNow.AddDays(1).ToString("O") }),
            HttpStatusCode.Conflict, "legacy_key_immutable");
        // A refused PATCH changes nothing, not even the fields it could have changed.
        AdminApi.AssertRefused(await AdminApi.PatchAsync(Host, id, new { name = "sneaky", graphql = "readwrite" }),
            HttpStatusCode.Conflict, "legacy_key_immutable");
        Assert.Equal("fixed", (string?)(await AdminApi.GetAsync(Host, $"/admin/keys/{id}")).Json["name"]);

        var renamed = await AdminApi.PatchAsync(Host, id, new { name = "renamed", enabled = false });
        Assert.Equal(HttpStatusCode.OK, renamed.Status);
        Assert.Equal("renamed", (string?)renamed.Json["name"]);
        Assert.False((bool)renamed.Json["enabled"]!);
        Assert.Equal("read", (string?)renamed.Json["graphql"]);
        await Eventually.TrueAsync(() => CacheProbe.RefusedAsync(Host, token, "key_disabled"), "the legacy key to be disabled", TimeSpan.FromSeconds(1));
    }
}
