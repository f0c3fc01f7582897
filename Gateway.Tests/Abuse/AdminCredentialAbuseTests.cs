using System.Net;
using System.Net.Http.Headers;
using Gateway.Tests.Admin;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Abuse;

/// <summary>The failed-attempt limit covers named credentials as it covers <c>Admin:Token</c>; a viewer's 403 is no failed attempt.</summary>
public sealed class AdminCredentialAbuseTests(GatewayTest.Parts parts) : GatewayTest(parts)
{
    // Each test counts failed attempts from the one loopback address from zero.
    protected override bool PartsPerTest => true;

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Abuse:FailedAdminAttempts"] = "2",
        ["Abuse:Window"] = "00:10:00",
        ["Admin:Tokens:auditor:Sha256"] = AdminCredentialTests.Sha256(AdminCredentialTests.ViewerToken),
        ["Admin:Tokens:auditor:Role"] = "viewer",
    };

    [Fact]
    public async Task WrongTokens_PastTheLimit_Are429_AndThenANamedCredentialGetsNoAnswerEither()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(HttpMethod.Get, AdminCredentialTests.ViewerToken + "x"));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(HttpMethod.Get, "adm_guess"));

        Assert.Equal((HttpStatusCode)429, await StatusAsync(HttpMethod.Get, "adm_guess-again"));
        Assert.Equal((HttpStatusCode)429, await StatusAsync(HttpMethod.Get, AdminCredentialTests.ViewerToken));
    }

    [Fact]
    public async Task AViewersRefusedWrites_AreNotFailedAttempts()
    {
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.Forbidden, await StatusAsync(HttpMethod.Post, AdminCredentialTests.ViewerToken));
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(HttpMethod.Get, "adm_guess"));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(HttpMethod.Get, AdminCredentialTests.ViewerToken));
    }

    private async Task<HttpStatusCode> StatusAsync(HttpMethod method, string token)
    {
        using var client = new HttpClient { BaseAddress = Host.Listeners.AdminUri };
        using var request = new HttpRequestMessage(method, "/admin/keys");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (method == HttpMethod.Post)
        {
            request.Content = new StringContent("""{"name":"x"}""", System.Text.Encoding.UTF8, "application/json");
        }

        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }
}
