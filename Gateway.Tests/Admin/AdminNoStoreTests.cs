using System.Net;
using System.Text;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Admin;

/// <summary>Every admin answer, success or refusal, on every admin route, is <c>Cache-Control: no-store</c>.</summary>
[Collection(AdminCollection.Name)]
public sealed class AdminNoStoreTests(AdminFixture fixture)
{
    private GatewayHost Host => fixture.Host;

    [Fact]
    public async Task EveryAdminRoute_AnswersNoStore_OnSuccessAndRefusal()
    {
        var created = await AdminApi.CreateAsync(Host, new { name = "no-store" });
        var id = (string)created["id"]!;
        var legacy = Guid.NewGuid().ToString("N") + "-legacy-nostore";

        (HttpMethod Method, string Path, string? Body, HttpStatusCode Expected)[] calls =
        [
            (HttpMethod.Post, "/admin/keys", "{\"name\":\"no-store-2\"}", HttpStatusCode.Created),
            (HttpMethod.Post, "/admin/keys", "{\"name\":\"\"}", HttpStatusCode.BadRequest),
            (HttpMethod.Get, "/admin/keys", null, HttpStatusCode.OK),
            (HttpMethod.Get, $"/admin/keys/{id}", null, HttpStatusCode.OK),
            (HttpMethod.Get, "/admin/keys/no-such-key", null, HttpStatusCode.NotFound),
            (HttpMethod.Patch, $"/admin/keys/{id}", "{\"enabled\":false}", HttpStatusCode.OK),
            (HttpMethod.Patch, $"/admin/keys/{id}", "{\"colour\":1}", HttpStatusCode.BadRequest),
            (HttpMethod.Post, "/admin/keys/legacy", $"{{\"keys\":[{{\"key\":\"{legacy}\",\"name\":\"l\",\"graphql\":\"read\"}}]}}", HttpStatusCode.OK),
            (HttpMethod.Post, "/admin/keys/legacy", "{\"keys\":1}", HttpStatusCode.BadRequest),
            (HttpMethod.Get, $"/admin/keys/{id}/usage", null, HttpStatusCode.OK),
            (HttpMethod.Get, $"/admin/keys/{id}/usage?days=0", null, HttpStatusCode.BadRequest),
            (HttpMethod.Get, "/admin/audit?limit=5", null, HttpStatusCode.OK),
            (HttpMethod.Get, "/admin/audit?limit=0", null, HttpStatusCode.BadRequest),
            (HttpMethod.Delete, $"/admin/keys/{id}", null, HttpStatusCode.NoContent),
            (HttpMethod.Delete, $"/admin/keys/{id}", null, HttpStatusCode.NotFound),
        ];

        foreach (var (method, path, body, expected) in calls)
        {
            using var request = new HttpRequestMessage(method, path);
            if (body is not null)
            {
                request.Content = new StringContent(body, Encoding.UTF8, "application/json");
            }

            using var response = await Host.Admin.SendAsync(request);

            Assert.True(expected == response.StatusCode, $"{method} {path}: expected {(int)expected}, got {(int)response.StatusCode}");
            Assert.True(response.Headers.CacheControl?.NoStore == true, $"{method} {path} ({(int)response.StatusCode}): Cache-Control '{response.Headers.CacheControl}'");
        }
    }

    [Theory]
    [InlineData("GET", "/admin/keys")]
    [InlineData("GET", "/admin/audit")]
    [InlineData("DELETE", "/admin/keys/some-id")]
    public async Task WithoutToken_TheRefusal_IsNoStore(string method, string path)
    {
        using var anonymous = new HttpClient { BaseAddress = Host.Listeners.AdminUri };
        using var request = new HttpRequestMessage(new HttpMethod(method), path);

        using var response = await anonymous.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.True(response.Headers.CacheControl?.NoStore == true, $"Cache-Control '{response.Headers.CacheControl}'");
    }
}
