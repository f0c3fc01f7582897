using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Admin;

/// <summary>Bad input is a 400 naming the field; views derive permission and show times in UTC (README: "How a request is judged", "Admin API").</summary>
[Collection(AdminCollection.Name)]
public sealed partial class AdminValidationTests(AdminFixture fixture)
{
    private GatewayHost Host => fixture.Host;

    public static TheoryData<string, string> BadCreates => new()
    {
        { "{\"name\":\"\"}", "name" },
        { "{\"name\":\"   \"}", "name" },
        { "{\"name\":\"" + new string('n', 65) + "\"}", "name" },
        { "{\"name\":42}", "name" },
        { "{}", "name" },
        { "{\"name\":\"x\",\"graphql\":\"Read\"}", "graphql" },
        { "{\"name\":\"x\",\"graphql\":\"write\"}", "graphql" },
        { "{\"name\":\"x\",\"endpoints\":{\"ep1\":\"Read\"}}", "endpoints" },
        { "{\"name\":\"x\",\"endpoints\":{\"bad id\":\"read\"}}", "bad id" },
        { "{\"name\":\"x\",\"endpoints\":{\"a/b\":\"read\"}}", "endpoints" },
        { "{\"name\":\"x\",\"endpoints\":{\"" + new string('e', 65) + "\":\"read\"}}", "endpoints" },
        { "{\"name\":\"x\",\"endpoints\":[\"ep1\"]}", "endpoints" },
        { "{\"name\":\"x\",\"expiresAt\":\"2001-01-01T00:00:00Z\"}", "expiresAt" },
        { "{\"name\":\"x\",\"expiresAt\":\"next tuesday\"}", "expiresAt" },
        { "{\"name\":\"x\",\"colour\":\"red\"}", "colour" },
        { "{\"name\":\"x\",\"Name\":\"y\"}", "Name" },
        { "{\"name\":\"x\",\"name\":\"y\"}", "name" },
        { "{\"name\":\"x\",\"endpoints\":{\"ep1\":\"read\",\"ep1\":\"readwrite\"}}", "ep1" },
        { "[{\"name\":\"x\"}]", "body" },
        { "{\"name\":", "body" },
    };

    [Theory]
    [MemberData(nameof(BadCreates))]
    public async Task Create_WithBadInput_Is400_NamingTheField(string body, string field)
    {
        var answer = await AdminApi.PostAsync(Host, "/admin/keys", body);

        AdminApi.AssertRefused(answer, HttpStatusCode.BadRequest, "invalid_request", field);
    }

    [Theory]
    [InlineData("{\"name\":\"\"}", "name")]
    [InlineData("{\"enabled\":\"yes\"}", "enabled")]
    [InlineData("{\"graphql\":\"Read\"}", "graphql")]
    [InlineData("{\"endpoints\":{\"bad id\":\"read\"}}", "bad id")]
    [InlineData("{\"expiresAt\":\"2001-01-01T00:00:00Z\"}", "expiresAt")]
    [InlineData("{\"colour\":\"red\"}", "colour")]
    [InlineData("{\"enabled\":true,\"enabled\":false}", "enabled")]
    public async Task Patch_WithBadInput_Is400_NamingTheField_AndChangesNothing(string body, string field)
    {
        var created = await AdminApi.CreateAsync(Host, new { name = "unchanged", graphql = "read" });
        var id = (string)created["id"]!;

        AdminApi.AssertRefused(await AdminApi.PatchAsync(Host, id, body), HttpStatusCode.BadRequest, "invalid_request", field);

        var after = (await AdminApi.GetAsync(Host, $"/admin/keys/{id}")).Object;
        Assert.Equal("unchanged", (string?)after["name"]);
        Assert.True((bool)after["enabled"]!);
        Assert.Equal("read", (string?)after["graphql"]);
        Assert.Null(after["expiresAt"]);
    }

    [Fact]
    public async Task Names_AreTrimmed_AndSixtyFourCharactersAreEnough()
    {
        var longest = new string('n', 64);

        Assert.Equal(longest, (string?)(await AdminApi.CreateAsync(Host, new { name = longest }))["name"]);
        Assert.Equal(longest, (string?)(await AdminApi.CreateAsync(Host, new { name = "  " + longest + "  " }))["name"]);
    }

    [Theory]
    [InlineData("readwrite", "{\"*\":\"readwrite\"}", "all")]
    [InlineData("read", "{\"*\":\"read\"}", "readonly")]
    [InlineData("readwrite", "{\"*\":\"readwrite\",\"ep1\":\"readwrite\"}", "restricted")]
    [InlineData("readwrite", "{\"*\":\"read\"}", "restricted")]
    [InlineData("read", "{\"*\":\"readwrite\"}", "restricted")]
    [InlineData("read", "{\"*\":\"read\",\"ep1\":\"none\"}", "restricted")]
    [InlineData("none", "{}", "restricted")]
    [InlineData("readwrite", "{\"ep1\":\"readwrite\"}", "restricted")]
    public async Task Views_DerivePermission(string graphql, string endpoints, string permission)
    {
        var body = $"{{\"name\":\"perm\",\"graphql\":\"{graphql}\",\"endpoints\":{endpoints}}}";

        var created = await AdminApi.PostAsync(Host, "/admin/keys", body);

        Assert.Equal(HttpStatusCode.Created, created.Status);
        Assert.Equal(permission, (string?)created.Json["permission"]);
        Assert.Equal(permission, (string?)(await AdminApi.GetAsync(Host, $"/admin/keys/{created.Json["id"]}")).Json["permission"]);
    }

    [Fact]
    public async Task Permission_FollowsAPatch()
    {
        var created = await AdminApi.CreateAsync(Host, new { name = "perm-patch", graphql = "read", endpoints = new Dictionary<string, string> { ["*"] = "read" } });
        Assert.Equal("readonly", (string?)created["permission"]);

        var patched = await AdminApi.PatchAsync(Host, (string)created["id"]!, new { graphql = "readwrite", endpoints = new Dictionary<string, string> { ["*"] = "readwrite" } });

        Assert.Equal("all", (string?)patched.Json["permission"]);
    }

    [Fact]
    public async Task Times_AreIso8601Utc_EndingInZ()
    {
        // Given in another offset, whole seconds; shown back in UTC.
        var later = DateTimeOffset.UtcNow.AddDays(2);
        var expiry = later.AddTicks(-(later.Ticks % TimeSpan.TicksPerSecond)).ToOffset(TimeSpan.FromHours(2));

        var created = await AdminApi.CreateAsync(Host, new { name = "times", expiresAt = expiry.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture) });

        foreach (var member in new[] { "createdAt", "expiresAt" })
        {
            var text = (string)created[member]!;
            Assert.Matches(UtcTime(), text);
        }

        var shown = DateTimeOffset.Parse((string)created["expiresAt"]!, CultureInfo.InvariantCulture);
        Assert.Equal(expiry.UtcDateTime, shown.UtcDateTime);
        var createdAt = DateTimeOffset.Parse((string)created["createdAt"]!, CultureInfo.InvariantCulture);
        Assert.True((DateTimeOffset.UtcNow - createdAt).Duration() < TimeSpan.FromMinutes(1), $"{createdAt:O}");
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")]
    private static partial Regex UtcTime();
}
