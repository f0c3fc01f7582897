using System.Net;
using Gateway.Tests.Caching;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Admin;

/// <summary>Who reaches the admin API, and on which listener (README: "Configuration", "Admin API").</summary>
[Collection(AdminCollection.Name)]
public sealed class AdminAccessTests(AdminFixture fixture)
{
    private GatewayHost Host => fixture.Host;

    public static TheoryData<string, string> AdminCalls => new()
    {
        { "GET", "/admin/keys" },
        { "POST", "/admin/keys" },
        { "GET", "/admin/keys/some-id" },
        { "PATCH", "/admin/keys/some-id" },
        { "DELETE", "/admin/keys/some-id" },
        { "POST", "/admin/keys/legacy" },
    };

    [Theory]
    [MemberData(nameof(AdminCalls))]
    public async Task WithoutToken_Is401(string method, string path)
    {
        using var anonymous = Unauthenticated(Host.Listeners.AdminUri!);

        var answer = await AdminApi.SendAsync(anonymous, new HttpMethod(method), path, "{\"name\":\"x\"}");

        AdminApi.AssertRefused(answer, HttpStatusCode.Unauthorized, "admin_unauthorized");
    }

    [Theory]
    [InlineData("Bearer wrong-token")]
    [InlineData("Bearer " + GatewayHost.AdminToken + "x")]
    [InlineData("Bearer ")]
    [InlineData(GatewayHost.AdminToken)]
    [InlineData("Basic " + GatewayHost.AdminToken)]
    public async Task WithWrongToken_Is401(string authorization)
    {
        using var anonymous = Unauthenticated(Host.Listeners.AdminUri!);

        var answer = await AdminApi.SendAsync(anonymous, HttpMethod.Get, "/admin/keys", null, authorization);

        AdminApi.AssertRefused(answer, HttpStatusCode.Unauthorized, "admin_unauthorized");
    }

    [Fact]
    public async Task WithToken_AnyBearerSpelling_IsAccepted()
    {
        using var anonymous = Unauthenticated(Host.Listeners.AdminUri!);

        var answer = await AdminApi.SendAsync(anonymous, HttpMethod.Get, "/admin/keys", null, "bearer " + GatewayHost.AdminToken);

        Assert.Equal(HttpStatusCode.OK, answer.Status);
    }

    [Theory]
    [MemberData(nameof(AdminCalls))]
    public async Task AdminApi_OnTheProxyListener_Is404_EvenWithTheToken(string method, string path)
    {
        using var proxy = Unauthenticated(Host.Listeners.ProxyUri!);

        var answer = await AdminApi.SendAsync(proxy, new HttpMethod(method), path, "{\"name\":\"x\"}", "Bearer " + GatewayHost.AdminToken);

        Assert.Equal(HttpStatusCode.NotFound, answer.Status);
    }

    [Theory]
    [InlineData("/healthz")]
    [InlineData("/readyz")]
    public async Task HealthEndpoints_OnTheAdminListener_NeedNoToken(string path)
    {
        using var anonymous = Unauthenticated(Host.Listeners.AdminUri!);

        var answer = await AdminApi.SendAsync(anonymous, HttpMethod.Get, path, null);

        Assert.Equal(HttpStatusCode.OK, answer.Status);
    }

    [Theory]
    [InlineData("/healthz")]
    [InlineData("/readyz")]
    public async Task HealthEndpoints_OnTheProxyListener_Are404(string path)
    {
        using var proxy = Unauthenticated(Host.Listeners.ProxyUri!);

        Assert.Equal(HttpStatusCode.NotFound, (await AdminApi.SendAsync(proxy, HttpMethod.Get, path, null)).Status);
    }

    [Theory]
    [InlineData("GET", "/v2/ep1/status")]
    [InlineData("POST", "/v2/ep1/run")]
    [InlineData("POST", "/graphql")]
    public async Task ProxiedRoutes_OnTheAdminListener_Are404(string method, string path)
    {
        var (key, _) = await Host.CreateKeyAsync(new { name = "listeners", graphql = "readwrite", endpoints = new Dictionary<string, string> { ["*"] = "readwrite" } });
        using var admin = Unauthenticated(Host.Listeners.AdminUri!);
        var before = fixture.Upstream.Count;

        var answer = await AdminApi.SendAsync(admin, new HttpMethod(method), path, "{\"query\":\"{ a }\"}", "Bearer " + key);

        Assert.Equal(HttpStatusCode.NotFound, answer.Status);
        Assert.Equal(before, fixture.Upstream.Count);
        // The same key and route do work on the proxy listener.
        Assert.True(await CacheProbe.PassesAsync(Host, key));
    }

    [Fact]
    public async Task UnknownPath_OnEitherListener_Is404()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await AdminApi.GetAsync(Host, "/nothing-here")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await AdminApi.GetAsync(Host, "/admin/nothing-here")).Status);
        using var proxy = Unauthenticated(Host.Listeners.ProxyUri!);
        Assert.Equal(HttpStatusCode.NotFound, (await AdminApi.SendAsync(proxy, HttpMethod.Get, "/nothing-here", null)).Status);
    }

    private static HttpClient Unauthenticated(Uri baseAddress) => new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false })
    {
        BaseAddress = baseAddress,
    };
}
