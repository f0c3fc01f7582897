using Gateway.Configuration;
using Gateway.Keys;
using static Gateway.Tests.Enforcement.MiddlewareHarness;

namespace Gateway.Tests.Enforcement;

/// <summary>What the upstream receives: never the client's key, never a header that would make it judge another request.</summary>
public sealed partial class EnforcementMiddlewareTests
{
    private static readonly string[] OverrideHeaders =
        ["X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override", "X-Original-URL", "X-Rewrite-URL"];

    [Theory]
    [InlineData(RouteKeyScope.Endpoint)]
    [InlineData(RouteKeyScope.Public)]
    public async Task Forwarded_WithoutClientAuthorizationOrOverrideHeaders(RouteKeyScope scope)
    {
        var key = _gateway.AddKey(KeyScopes.All);
        var context = Request(scope, "GET", EndpointTarget, "Bearer " + key);
        foreach (var header in OverrideHeaders)
        {
            context.Request.Headers[header] = header == "X-Original-URL" ? "/v2/other/run" : "DELETE";
        }

        context.Request.Headers["X-Kept"] = "yes";

        Assert.Equal("forwarded", await _gateway.RunAsync(context));
        var headers = _gateway.Forwarded!.Headers;
        Assert.False(headers.ContainsKey("Authorization"));
        Assert.All(OverrideHeaders, header => Assert.False(headers.ContainsKey(header), header));
        Assert.Equal("yes", headers["X-Kept"]);
    }

    [Fact]
    public async Task Forwarded_WithTheClustersOwnAuthorization()
    {
        var context = Request(RouteKeyScope.Endpoint, "GET", EndpointTarget, "Bearer " + _gateway.AddKey(KeyScopes.All), cluster: "with-credentials");

        Assert.Equal("forwarded", await _gateway.RunAsync(context));
        Assert.Equal(UpstreamAuthorization, _gateway.Forwarded!.Headers["Authorization"]);
    }

    [Theory]
    [InlineData("?api_key={0}", "")]
    [InlineData("?a=1&api_key={0}&b=2", "?a=1&b=2")]
    [InlineData("?api_key={0}&api_key={0}&x=%20y", "?x=%20y")]
    public async Task Forwarded_WithoutTheApiKeyParameter(string query, string forwarded)
    {
        var key = _gateway.AddKey(KeyScopes.All);
        var context = Request(RouteKeyScope.Endpoint, "GET", EndpointTarget + string.Format(System.Globalization.CultureInfo.InvariantCulture, query, key));

        Assert.Equal("forwarded", await _gateway.RunAsync(context));
        Assert.Equal(forwarded, _gateway.Forwarded!.Query);
        Assert.DoesNotContain(key, _gateway.Forwarded.Query, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GraphQLForwarded_WithoutTheKey()
    {
        var key = _gateway.AddKey(KeyScopes.All);
        var context = Request(RouteKeyScope.GraphQL, "POST", "/graphql?api_key=" + key, "Bearer " + key);
        SetBody(context, "application/graphql", "{ pods { id } }");

        Assert.Equal("forwarded", await _gateway.RunAsync(context));
        Assert.False(_gateway.Forwarded!.Headers.ContainsKey("Authorization"));
        Assert.Equal("", _gateway.Forwarded.Query);
    }

    [Fact]
    public async Task Refused_OverrideHeadersAlreadyGone()
    {
        // Stripped before any check, so nothing later in the pipeline (a logger, the problem writer) sees them either.
        var context = Request(RouteKeyScope.Endpoint, "GET", EndpointTarget);
        context.Request.Headers["X-HTTP-Method-Override"] = "DELETE";
        context.Request.Headers["X-Original-URL"] = "/admin";

        Assert.Equal("missing_key", await _gateway.RunAsync(context));
        Assert.False(context.Request.Headers.ContainsKey("X-HTTP-Method-Override"));
        Assert.False(context.Request.Headers.ContainsKey("X-Original-URL"));
    }
}
