using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Configuration;

/// <summary>
/// Every route declares its KeyScope; a route that does not, or an Endpoint route without <c>{endpointId}</c>,
/// stops the start and is named (README: "Configuration").
/// </summary>
public sealed class RouteValidationTests
{
    [Fact]
    public void RouteWithoutKeyScope_StopsTheStart_NamingTheRoute()
    {
        var messages = StartupFailure.Of(config => StartupFailure.Routes(config)["no-scope-route"] = StartupFailure.Route("/extra", null));

        Assert.Contains("no-scope-route", messages);
    }

    [Fact]
    public void RouteWithMetadataButNoKeyScope_StopsTheStart_NamingTheRoute()
    {
        var messages = StartupFailure.Of(config =>
        {
            var route = StartupFailure.Route("/extra", null);
            route["Metadata"] = new System.Text.Json.Nodes.JsonObject { ["Owner"] = "team" };
            StartupFailure.Routes(config)["other-metadata-route"] = route;
        });

        Assert.Contains("other-metadata-route", messages);
    }

    [Theory]
    [InlineData("Nonsense")]
    [InlineData("")]
    [InlineData("endpoint")]
    [InlineData("Endpoint ")]
    public void RouteWithUnknownKeyScope_StopsTheStart_NamingTheRoute(string keyScope)
    {
        var messages = StartupFailure.Of(config => StartupFailure.Routes(config)["odd-scope-route"] = StartupFailure.Route("/extra", keyScope));

        Assert.Contains("odd-scope-route", messages);
    }

    [Theory]
    [InlineData("/v3/{id}/{**operation}")]
    [InlineData("/v3/fixed/{**operation}")]
    public void EndpointRouteWithoutEndpointId_StopsTheStart_NamingTheRoute(string path)
    {
        var messages = StartupFailure.Of(config => StartupFailure.Routes(config)["no-endpoint-id"] = StartupFailure.Route(path, "Endpoint"));

        Assert.Contains("no-endpoint-id", messages);
        Assert.Contains("endpointId", messages);
    }

    [Fact]
    public void SeveralBadRoutes_AreAllNamedAtOnce()
    {
        var messages = StartupFailure.Of(config =>
        {
            var routes = StartupFailure.Routes(config);
            routes["bad-missing"] = StartupFailure.Route("/one", null);
            routes["bad-nonsense"] = StartupFailure.Route("/two", "Nonsense");
            routes["bad-endpoint"] = StartupFailure.Route("/three/{**rest}", "Endpoint");
        });

        Assert.Contains("bad-missing", messages);
        Assert.Contains("bad-nonsense", messages);
        Assert.Contains("bad-endpoint", messages);
        // The good routes are not blamed.
        Assert.DoesNotContain("'serverless'", messages);
        Assert.DoesNotContain("'graphql'", messages);
    }

    [Fact]
    public void PublicRoute_BesideTheShippedRoutes_Starts()
    {
        var config = GatewayHost.WriteConfig(new Uri("http://127.0.0.1:9/"), c =>
            StartupFailure.Routes(c)["open"] = StartupFailure.Route("/open/{**rest}", "Public"));

        using var host = new GatewayHost(config, TestStore.Configuration, TestStore.UniquePrefix()).Start();

        Assert.NotNull(host.Listeners.ProxyUri);
    }
}
