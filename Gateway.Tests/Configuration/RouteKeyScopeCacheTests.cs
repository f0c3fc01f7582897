using Gateway.Configuration;
using Yarp.ReverseProxy.Configuration;

namespace Gateway.Tests.Configuration;

public sealed class RouteKeyScopeCacheTests
{
    public static TheoryData<string?, RouteKeyScope> Spellings => new()
    {
        { "Endpoint", RouteKeyScope.Endpoint },
        { "GraphQL", RouteKeyScope.GraphQL },
        { "Public", RouteKeyScope.Public },
        { "public", RouteKeyScope.Invalid },
        { "", RouteKeyScope.Invalid },
        { null, RouteKeyScope.Invalid },
    };

    [Theory]
    [MemberData(nameof(Spellings))]
    public void Of_IsWhatParseSays_AskedOnceOrAgain(string? keyScope, RouteKeyScope expected)
    {
        var cache = new RouteKeyScopeCache();
        var route = Route(keyScope);

        Assert.Equal(expected, RouteKeyScopes.Parse(route.Metadata));
        Assert.Equal(expected, cache.Of(route));
        Assert.Equal(expected, cache.Of(route));
    }

    // A reload hands YARP a new RouteConfig for a changed route; the cache must answer for that object, not for the route id.
    [Fact]
    public void ChangedConfigOfTheSameRoute_IsParsedAfresh()
    {
        var cache = new RouteKeyScopeCache();
        var before = Route("Public");
        Assert.Equal(RouteKeyScope.Public, cache.Of(before));

        var after = before with { Metadata = new Dictionary<string, string> { [RouteKeyScopes.MetadataKey] = "Endpoint" } };
        var withoutScope = before with { Metadata = null };

        Assert.Equal(RouteKeyScope.Endpoint, cache.Of(after));
        Assert.Equal(RouteKeyScope.Invalid, cache.Of(withoutScope));
        Assert.Equal(RouteKeyScope.Public, cache.Of(before));
    }

    private static RouteConfig Route(string? keyScope) => new()
    {
        RouteId = "route",
        ClusterId = "cluster",
        Match = new RouteMatch { Path = "/v2/{endpointId}/{**rest}" },
        Metadata = keyScope is null ? null : new Dictionary<string, string> { [RouteKeyScopes.MetadataKey] = keyScope },
    };
}
