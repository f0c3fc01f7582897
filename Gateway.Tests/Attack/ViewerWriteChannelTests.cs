using System.Text;
using Gateway.Tests.Admin;
using Gateway.Tests.Enforcement;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Attack;

/// <summary>
/// Attack (did not work; kept as a regression): a <c>viewer</c> credential writing through what its own tests do not
/// send: a method in another letter case, method-override headers on GET and POST, and path spellings
/// (<c>/ADMIN</c>, a trailing slash, a doubled or encoded slash), over raw HTTP/1.1. None may change the key.
/// </summary>
public sealed class ViewerWriteChannelTests(GatewayTest.Parts parts) : GatewayTest(parts)
{
    protected override bool PartsPerTest => true;

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Admin:Tokens:auditor:Sha256"] = AdminCredentialTests.Sha256(AdminCredentialTests.ViewerToken),
        ["Admin:Tokens:auditor:Role"] = "viewer",
    };

    [Fact]
    public async Task NoMethodCaseOverrideOrPathSpelling_LetsAViewerWrite()
    {
        var (_, id) = await Host.CreateKeyAsync(new { name = "untouched", graphql = "read" });
        var before = (await AdminApi.GetAsync(Host, $"/admin/keys/{id}")).Text;
        var body = Encoding.UTF8.GetBytes("""{"enabled":false,"name":"by-viewer"}""");
        var attempts = new List<(string Method, string Target, string? Extra)>();
        foreach (var method in new[] { "patch", "PaTcH", "delete", "post", "PoSt" })
        {
            attempts.Add((method, $"/admin/keys/{id}", null));
            attempts.Add((method, $"/admin/keys/{id}/roll", null));
        }

        foreach (var header in new[] { "X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override" })
        {
            foreach (var verb in new[] { "PATCH", "DELETE" })
            {
                attempts.Add(("GET", $"/admin/keys/{id}", $"{header}: {verb}"));
                attempts.Add(("POST", $"/admin/keys/{id}", $"{header}: {verb}"));
            }
        }

        foreach (var target in new[] { $"/ADMIN/keys/{id}", $"/admin/keys/{id}/", $"/admin//keys/{id}", $"/admin%2Fkeys/{id}", $"/admin/keys/{id}." })
        {
            attempts.Add(("PATCH", target, null));
            attempts.Add(("DELETE", target, null));
        }

        foreach (var (method, target, extra) in attempts)
        {
            var lines = new List<string> { $"Authorization: Bearer {AdminCredentialTests.ViewerToken}", "Content-Type: application/json" };
            if (extra is not null)
            {
                lines.Add(extra);
            }

            var answer = await RawHttp.SendAsync(Host.Listeners.AdminUri!, method, target, lines, body);
            var allowed = method == "GET" && extra is not null ? 200 : -1;
            Assert.True(answer.Status is 400 or 403 or 404 or 405 || answer.Status == allowed, $"{method} {target} {extra}: {answer.Status}");
        }

        Assert.Equal(before, (await AdminApi.GetAsync(Host, $"/admin/keys/{id}")).Text);
    }
}
