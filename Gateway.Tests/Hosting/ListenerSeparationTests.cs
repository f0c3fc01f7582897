using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Tests.Configuration;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Hosting;

/// <summary>
/// The two listeners on real sockets: every admin path is a 404 on the proxy listener and never reaches the upstream,
/// every proxied route is a 404 on the admin listener, before and after a routes reload rebuilds the routing table, and
/// a path both serve is answered by each listener's own endpoint (README: "Configuration").
/// </summary>
public sealed class ListenerSeparationTests(GatewayTest.Parts parts) : GatewayTest(parts)
{
    // Every kind of admin endpoint: the API, its description and docs, the settings page, health and metrics.
    private static readonly string[] AdminPaths =
    [
        "/admin/keys", "/admin/whoami", "/admin/audit", "/openapi/v1.json", "/docs", "/", "/settings.js", "/settings.css",
        "/healthz", "/readyz", "/metrics",
    ];

    private static readonly string[] ProxiedPaths = ["/v2/ep1/status", "/graphql"];

    protected override bool PartsPerTest => true;

    [Fact]
    public async Task AdminPaths_OnTheProxyListener_Are404_AndNeverReachTheUpstream()
    {
        await AssertAdminPathsStayOnTheAdminListenerAsync();
    }

    [Fact]
    public async Task AfterARoutesReload_EachListenerServesOnlyItsOwn_EvenOnAPathBothHave()
    {
        // A public route at an admin path (/healthz) and one at a new path: one routing-table node holds the health
        // endpoint and the route, and the reload rebuilds the table.
        Rewrite(routes =>
        {
            routes["open"] = StartupFailure.Route("/open/{**rest}", "Public");
            routes["shadow"] = StartupFailure.Route("/healthz", "Public");
        });
        await Eventually.TrueAsync(async () => await StatusAsync(Host.Proxy, "/open/hello") == HttpStatusCode.OK, "the reloaded routes to serve");

        // The proxy listener: its route at /healthz goes to the upstream.
        Upstream.Clear();
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(Host.Proxy, "/healthz"));
        Assert.Contains(Upstream.Received, seen => seen.Path == "/healthz");

        // The admin listener: its own health endpoint answers /healthz, and no proxied route is served there.
        Upstream.Clear();
        using (var health = await Host.Admin.GetAsync(new Uri("/healthz", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            Assert.Equal("Healthy", await health.Content.ReadAsStringAsync());
        }

        foreach (var path in ProxiedPaths.Append("/open/hello"))
        {
            Assert.Equal(HttpStatusCode.NotFound, await StatusAsync(Host.Admin, path));
        }

        Assert.Empty(Upstream.Received);
        // The other admin paths are still the admin listener's alone.
        await AssertAdminPathsStayOnTheAdminListenerAsync(except: "/healthz");
    }

    private async Task AssertAdminPathsStayOnTheAdminListenerAsync(string? except = null)
    {
        Upstream.Clear();
        foreach (var path in AdminPaths.Where(p => p != except))
        {
            // Served on the admin listener (so the 404 below is the split, not a path nobody serves) ...
            Assert.NotEqual(HttpStatusCode.NotFound, await StatusAsync(Host.Admin, path));
            // ... and a 404 on the proxy listener, even with the admin token.
            Assert.True(await StatusAsync(Host.Proxy, path, "Bearer " + GatewayHost.AdminToken) == HttpStatusCode.NotFound, path);
        }

        Assert.Empty(Upstream.Received);
    }

    private static async Task<HttpStatusCode> StatusAsync(HttpClient client, string path, string? authorization = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative));
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    private void Rewrite(Action<JsonObject> editRoutes)
    {
        var config = GatewayHost.StandardConfig(Upstream.Address);
        editRoutes(StartupFailure.Routes(config));
        // A rename, so the watcher never reads a half-written file.
        var temporary = Host.ConfigPath + ".tmp";
        File.WriteAllText(temporary, config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        File.Move(temporary, Host.ConfigPath, overwrite: true);
    }
}
