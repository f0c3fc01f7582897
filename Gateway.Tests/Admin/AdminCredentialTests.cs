using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Admin;

/// <summary>
/// Named admin credentials (<c>Admin:Tokens:&lt;name&gt;</c>, a SHA-256 and a role) beside <c>Admin:Token</c>: a viewer
/// reads and is refused every write with 403 <c>admin_forbidden</c>, nothing changing; an admin writes; the audit log
/// names the credential (README: "Admin credentials").
/// </summary>
public sealed class AdminCredentialTests(GatewayTest.Parts parts) : GatewayTest(parts)
{
    public const string OpsToken = "adm_ops-token-for-tests-0001";
    public const string ViewerToken = "adm_viewer-token-for-tests-0002";

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Admin:Tokens:ops:Sha256"] = Sha256(OpsToken),
        ["Admin:Tokens:ops:Role"] = "admin",
        ["Admin:Tokens:auditor:Sha256"] = Sha256(ViewerToken),
        ["Admin:Tokens:auditor:Role"] = "viewer",
    };

    public static string Sha256(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    [Theory]
    [InlineData(GatewayHost.AdminToken, "admin-token", "admin")]
    [InlineData(OpsToken, "ops", "admin")]
    [InlineData(ViewerToken, "auditor", "viewer")]
    public async Task WhoAmI_NamesTheCredentialAndItsRole(string token, string name, string role)
    {
        var answer = await SendAsync(token, HttpMethod.Get, "/admin/whoami");

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal(name, (string?)answer.Json["name"]);
        Assert.Equal(role, (string?)answer.Json["role"]);
    }

    [Fact]
    public async Task Viewer_ReadsEveryReadCall()
    {
        var (_, id) = await Host.CreateKeyAsync(new { name = "readable", graphql = "read" });

        foreach (var path in new[] { "/admin/keys", $"/admin/keys/{id}", $"/admin/keys/{id}/usage", "/admin/audit", "/admin/whoami" })
        {
            var answer = await SendAsync(ViewerToken, HttpMethod.Get, path);
            Assert.True(answer.Status == HttpStatusCode.OK, $"{path}: {(int)answer.Status} {answer.Text}");
        }
    }

    /// <summary>
    /// Every mapped <c>/admin</c> endpoint that is not a read, found in the routing table (so a write added later is
    /// covered without editing this test), is refused to a viewer before it runs: the key, the key list and the audit
    /// log are as they were.
    /// </summary>
    [Fact]
    public async Task Viewer_EveryWrite_Is403AdminForbidden_AndNothingChanges()
    {
        var (plaintext, id) = await Host.CreateKeyAsync(new { name = "untouched", graphql = "read" });
        var writes = AdminRoutes(Host).Where(r => r.Method is not ("GET" or "HEAD")).ToList();
        Assert.Contains(writes, r => r is { Method: "POST", Path: "/admin/keys" });
        Assert.Contains(writes, r => r is { Method: "DELETE", Path: "/admin/keys/{id}" });
        var keyBefore = (await SendAsync(GatewayHost.AdminToken, HttpMethod.Get, $"/admin/keys/{id}")).Text;
        var listBefore = (await SendAsync(GatewayHost.AdminToken, HttpMethod.Get, "/admin/keys?limit=1000")).Text;
        var auditBefore = (await SendAsync(GatewayHost.AdminToken, HttpMethod.Get, "/admin/audit")).Text;

        foreach (var (method, path) in writes)
        {
            // A body each write would accept from an admin, so only the role can be what refuses it.
            var body = path.EndsWith("/legacy", StringComparison.Ordinal) ? $$"""{"keys":[{"key":"legacy-{{Guid.NewGuid():N}}","name":"x","graphql":"read"}]}"""
                : path.EndsWith("/revoke", StringComparison.Ordinal) ? $$"""{"keys":["{{plaintext}}"]}"""
                : method == "PATCH" ? """{"enabled":false}"""
                : """{"name":"made-by-a-viewer"}""";
            var answer = await SendAsync(ViewerToken, new HttpMethod(method), path.Replace("{id}", id, StringComparison.Ordinal), body);

            AdminApi.AssertRefused(answer, HttpStatusCode.Forbidden, "admin_forbidden", "auditor");
            Assert.Equal("no-store", answer.CacheControl);
        }

        Assert.Equal(keyBefore, (await SendAsync(GatewayHost.AdminToken, HttpMethod.Get, $"/admin/keys/{id}")).Text);
        Assert.Equal(listBefore, (await SendAsync(GatewayHost.AdminToken, HttpMethod.Get, "/admin/keys?limit=1000")).Text);
        Assert.Equal(auditBefore, (await SendAsync(GatewayHost.AdminToken, HttpMethod.Get, "/admin/audit")).Text);
    }

    [Fact]
    public async Task NamedAdmin_Writes_AndTheAuditLogNamesIt()
    {
        var created = await SendAsync(OpsToken, HttpMethod.Post, "/admin/keys", """{"name":"by-ops"}""");
        Assert.Equal(HttpStatusCode.Created, created.Status);
        var id = (string)created.Json["id"]!;
        var patched = await SendAsync(OpsToken, HttpMethod.Patch, $"/admin/keys/{id}", """{"enabled":false}""");
        Assert.Equal(HttpStatusCode.OK, patched.Status);
        Assert.False((bool)patched.Json["enabled"]!);
        var deleted = await SendAsync(GatewayHost.AdminToken, HttpMethod.Delete, $"/admin/keys/{id}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.Status);

        var entries = (await SendAsync(ViewerToken, HttpMethod.Get, "/admin/audit")).Json["entries"]!.AsArray()
            .Where(e => (string?)e!["keyId"] == id)
            .ToDictionary(e => (string)e!["action"]!, e => (string)e!["actor"]!);
        Assert.Equal("ops", entries["create"]);
        Assert.Equal("ops", entries["disable"]);
        Assert.Equal("admin-token", entries["delete"]);
    }

    [Theory]
    [InlineData(OpsToken + "x")]
    [InlineData("adm_ops-token-for-tests-000")]
    [InlineData("ADM_OPS-TOKEN-FOR-TESTS-0001")]
    [InlineData(ViewerToken + " extra")]
    [InlineData("x")]
    public async Task NearMisses_Are401(string token)
    {
        var answer = await SendAsync(token, HttpMethod.Get, "/admin/keys");

        AdminApi.AssertRefused(answer, HttpStatusCode.Unauthorized, "admin_unauthorized");
    }

    [Fact]
    public async Task TheConfiguredHash_PresentedAsTheToken_Is401()
    {
        // The config file holds the digest; whoever reads the file must still not be able to call the API with it.
        var answer = await SendAsync(Sha256(OpsToken), HttpMethod.Get, "/admin/keys");

        AdminApi.AssertRefused(answer, HttpStatusCode.Unauthorized, "admin_unauthorized");
    }

    [Fact]
    public async Task ATokenOverTheLengthLimit_Is401()
    {
        var answer = await SendAsync(OpsToken + new string('a', 2000), HttpMethod.Get, "/admin/keys");

        AdminApi.AssertRefused(answer, HttpStatusCode.Unauthorized, "admin_unauthorized");
    }

    /// <summary>Every method and path mapped under <c>/admin</c>, as routing holds them (<c>MapPost("")</c> reads "/admin/keys/").</summary>
    internal static IEnumerable<(string Method, string Path)> AdminRoutes(GatewayHost host) =>
        host.Services.GetServices<EndpointDataSource>()
            .SelectMany(source => source.Endpoints)
            .OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/admin", StringComparison.Ordinal) == true)
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? []).Select(m => (m, e.RoutePattern.RawText!.TrimEnd('/'))))
            .Distinct();

    private async Task<CredentialAnswer> SendAsync(string token, HttpMethod method, string path, string? json = null)
    {
        using var client = new HttpClient { BaseAddress = Host.Listeners.AdminUri };
        using var request = new HttpRequestMessage(method, path);
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        using var response = await client.SendAsync(request);
        var answer = new AdminAnswer(response.StatusCode, response.Content.Headers.ContentType?.MediaType, response.Headers.Location,
            await response.Content.ReadAsStringAsync());
        return new CredentialAnswer(answer, response.Headers.CacheControl?.ToString());
    }

    private sealed record CredentialAnswer(AdminAnswer Answer, string? CacheControl)
    {
        public HttpStatusCode Status => Answer.Status;

        public string Text => Answer.Text;

        public JsonNode Json => Answer.Json;

        public static implicit operator AdminAnswer(CredentialAnswer answer) => answer.Answer;
    }
}
