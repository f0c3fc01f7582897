using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Tests.Caching;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Configuration;

/// <summary>
/// Edits to the config file's ReverseProxy section apply without a restart; a bad edit leaves the last good
/// config serving and is logged naming the route (README: "Configuration").
/// </summary>
public sealed class ReloadTests : IAsyncLifetime
{
    private RecordingUpstream _upstream = null!;
    private GatewayHost _host = null!;
    private string _key = null!;

    public async Task InitializeAsync()
    {
        _upstream = await RecordingUpstream.StartAsync();
        _host = new GatewayHost(GatewayHost.WriteConfig(_upstream.Address), TestStore.Configuration, TestStore.UniquePrefix(),
            configureLogging: logging => logging.AddFakeLogging()).Start();
        (_key, _) = await _host.CreateKeyAsync(CacheProbe.EveryEndpoint("reload"));
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    [Fact]
    public async Task GoodEdit_AddingPublicRoute_ServesItWithoutRestart()
    {
        Assert.Equal(HttpStatusCode.NotFound, await OpenRouteStatusAsync());

        Rewrite(routes => routes["open"] = StartupFailure.Route("/open/{**rest}", "Public"));

        await Eventually.TrueAsync(async () => await OpenRouteStatusAsync() == HttpStatusCode.OK, "the new Public route to serve");
        Assert.Contains(_upstream.Received, seen => seen.Path == "/open/hello");
        Assert.True(await CacheProbe.PassesAsync(_host, _key));
    }

    // The middleware keeps each route's parsed KeyScope with its RouteConfig: a reload that changes only the scope of a
    // route (same id, same path) must change what the route needs from the next request on, both ways.
    [Fact]
    public async Task EditChangingOnlyARoutesKeyScope_AppliesBothWays_AndTheOldScopeNeverComesBack()
    {
        const string path = "/open/{endpointId}/{**rest}";
        Rewrite(routes => routes["open"] = StartupFailure.Route(path, "Public"));
        await Eventually.TrueAsync(async () => await StatusAsync("/open/ep1/first") == HttpStatusCode.OK, "the Public route to serve without a key");

        Rewrite(routes => routes["open"] = StartupFailure.Route(path, "Endpoint"));
        await Eventually.TrueAsync(async () => await StatusAsync("/open/ep1/poll") == HttpStatusCode.Unauthorized, "the route to need a key");
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync($"/open/ep1/keyless-{i}"));
        }

        Assert.DoesNotContain(_upstream.Received, seen => seen.Path.StartsWith("/open/ep1/keyless-", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.OK, (await CacheProbe.SendAsync(_host, _key, path: "/open/ep1/keyed")).Status);

        Rewrite(routes => routes["open"] = StartupFailure.Route(path, "Public"));
        await Eventually.TrueAsync(async () => await StatusAsync("/open/ep1/poll-again") == HttpStatusCode.OK, "the route to serve without a key again");
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(HttpStatusCode.OK, await StatusAsync($"/open/ep1/public-{i}"));
        }
    }

    [Fact]
    public async Task EditWithUnscopedRoute_KeepsTheLastGoodConfig_AndLogsTheRoute()
    {
        Rewrite(routes =>
        {
            routes["open"] = StartupFailure.Route("/open/{**rest}", "Public");
            routes["unscoped-route"] = StartupFailure.Route("/unscoped", null);
        });

        await Eventually.TrueAsync(() => _host.FakeLog().Logged("unscoped-route"), "the rejected reload to be logged naming the route");
        await AssertLastGoodConfigServesAsync();

        // A later good edit still applies: the bad one did not stop reloading.
        Rewrite(routes => routes["open"] = StartupFailure.Route("/open/{**rest}", "Public"));
        await Eventually.TrueAsync(async () => await OpenRouteStatusAsync() == HttpStatusCode.OK, "the next good edit to apply");
    }

    [Fact]
    public async Task EditWithEndpointRouteLackingEndpointId_KeepsTheLastGoodConfig_AndLogsTheRoute()
    {
        Rewrite(routes => routes["serverless"] = StartupFailure.Route("/v2/{id}/{**operation}", "Endpoint"));

        await Eventually.TrueAsync(() => _host.FakeLog().Logged("'serverless'"), "the rejected reload to be logged naming the route");
        await AssertLastGoodConfigServesAsync();
    }

    [Fact]
    public async Task UnparseableFile_KeepsTheLastGoodConfig()
    {
        WriteAtomically(_host.ConfigPath, "{ \"ReverseProxy\": { \"Routes\": ");

        // No reload event to wait for: a broken file yields no config at all. Hold the old one for a while.
        await AssertLastGoodConfigServesAsync();

        Rewrite(routes => routes["open"] = StartupFailure.Route("/open/{**rest}", "Public"));
        await Eventually.TrueAsync(async () => await OpenRouteStatusAsync() == HttpStatusCode.OK, "the fixed file to apply");
    }

    private async Task AssertLastGoodConfigServesAsync()
    {
        // Observed for a bounded second (four reload delays): the old routes serve, nothing of the bad edit does.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await Eventually.TrueAsync(async () =>
        {
            Assert.True(await CacheProbe.PassesAsync(_host, _key), _host.FakeLog().Lines());
            Assert.Equal(HttpStatusCode.NotFound, await OpenRouteStatusAsync());
            using var unscoped = await _host.Proxy.GetAsync("/unscoped");
            Assert.Equal(HttpStatusCode.NotFound, unscoped.StatusCode);
            return clock.Elapsed > TimeSpan.FromSeconds(1);
        }, "a second of observation");
    }

    private Task<HttpStatusCode> OpenRouteStatusAsync() => StatusAsync("/open/hello");

    private async Task<HttpStatusCode> StatusAsync(string path)
    {
        using var response = await _host.Proxy.GetAsync(path);
        return response.StatusCode;
    }

    private void Rewrite(Action<JsonObject> editRoutes)
    {
        var config = GatewayHost.StandardConfig(_upstream.Address);
        editRoutes(StartupFailure.Routes(config));
        WriteAtomically(_host.ConfigPath, config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    // A rename, so the watcher never reads a half-written file.
    private static void WriteAtomically(string path, string text)
    {
        var temporary = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        File.WriteAllText(temporary, text);
        File.Move(temporary, path, overwrite: true);
    }
}
