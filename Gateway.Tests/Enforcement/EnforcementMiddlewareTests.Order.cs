using Gateway.Configuration;
using Gateway.Keys;
using static Gateway.Tests.Enforcement.MiddlewareHarness;

namespace Gateway.Tests.Enforcement;

/// <summary>
/// The check order: method case, path, endpoint id; then key presence, form, existence; then state; then the GraphQL
/// body; then the scope. Each request fails two checks, and the earlier one must answer; a later one costs nothing.
/// </summary>
public sealed partial class EnforcementMiddlewareTests
{
    [Fact]
    public async Task Order_MethodCaseBeforePath()
    {
        var context = Request(RouteKeyScope.Endpoint, "get", "/v2/ep1%2Fep2/run");

        Assert.Equal("method_not_allowed", await _gateway.RunAsync(context));
    }

    [Fact]
    public async Task Order_PathBeforeEndpointId()
    {
        var context = Request(RouteKeyScope.Endpoint, "GET", "/v2/bad.id;x/run");

        Assert.Equal("invalid_path", await _gateway.RunAsync(context));
    }

    [Fact]
    public async Task Order_EndpointIdBeforeKeyPresence()
    {
        var context = Request(RouteKeyScope.Endpoint, "GET", "/v2/bad.id/run");

        Assert.Equal("invalid_endpoint_id", await _gateway.RunAsync(context));
    }

    [Fact]
    public async Task Order_PathBeforeKeyExistence_NoStoreRead()
    {
        var context = Request(RouteKeyScope.Endpoint, "GET", "/v2/ep1//run", "Bearer " + KeyFormat.Generate());

        Assert.Equal("invalid_path", await _gateway.RunAsync(context));
        Assert.Equal(0, _gateway.Keys.StoreReads);
    }

    [Fact]
    public async Task Order_KeyFormBeforeExistence_NoStoreRead()
    {
        var context = Request(RouteKeyScope.Endpoint, "GET", EndpointTarget, "Bearer rpa_" + new string('A', 36));

        Assert.Equal("invalid_key", await _gateway.RunAsync(context));
        Assert.Equal(0, _gateway.Keys.StoreReads);
    }

    [Fact]
    public async Task Order_KeyInMemoryPassesAnAddressOverItsFailureLimit()
    {
        using var gateway = new MiddlewareHarness(failedKeyAttempts: 1);
        var known = gateway.AddKey(KeyScopes.All, inMemory: true);
        Assert.Equal("invalid_key", await gateway.RunAsync(Request(RouteKeyScope.Endpoint, "GET", EndpointTarget, "Bearer " + KeyFormat.Generate())));

        Assert.Equal("forwarded", await gateway.RunAsync(Request(RouteKeyScope.Endpoint, "GET", EndpointTarget, "Bearer " + known)));
        Assert.Equal("too_many_failed_attempts", await gateway.RunAsync(Request(RouteKeyScope.Endpoint, "GET", EndpointTarget, "Bearer " + gateway.AddKey(KeyScopes.All))));
    }

    [Fact]
    public async Task Order_StateBeforeScope()
    {
        var key = _gateway.AddKey(Endpoint(AccessLevel.None), enabled: false);
        var context = Request(RouteKeyScope.Endpoint, "POST", EndpointTarget, "Bearer " + key);

        Assert.Equal("key_disabled", await _gateway.RunAsync(context));
    }

    [Fact]
    public async Task Order_KeyBeforeGraphQLBody_BodyNotRead()
    {
        var context = Request(RouteKeyScope.GraphQL, "POST", "/graphql", "Bearer " + KeyFormat.Generate());
        SetBody(context, "application/json", "not json");

        Assert.Equal("invalid_key", await _gateway.RunAsync(context));
        Assert.Equal(0, context.Request.Body.Position);
    }

    [Fact]
    public async Task Order_StateBeforeGraphQLBody_BodyNotRead()
    {
        var key = _gateway.AddKey(KeyScopes.All, expiresAt: _gateway.Time.GetUtcNow());
        var context = Request(RouteKeyScope.GraphQL, "POST", "/graphql", "Bearer " + key);
        SetBody(context, "application/json", "not json");

        Assert.Equal("key_expired", await _gateway.RunAsync(context));
        Assert.Equal(0, context.Request.Body.Position);
    }

    [Fact]
    public async Task Order_GraphQLBodyBeforeScope()
    {
        var context = Request(RouteKeyScope.GraphQL, "POST", "/graphql", "Bearer " + _gateway.AddKey(GraphQL(AccessLevel.None)));
        SetBody(context, "application/json", "not json");

        Assert.Equal("invalid_graphql", await _gateway.RunAsync(context));
    }

    [Fact]
    public async Task Order_GraphQLMediaTypeBeforeScope()
    {
        var context = Request(RouteKeyScope.GraphQL, "POST", "/graphql", "Bearer " + _gateway.AddKey(GraphQL(AccessLevel.None)));
        SetBody(context, "text/plain", "{ pods { id } }");

        Assert.Equal("unsupported_media_type", await _gateway.RunAsync(context));
    }

    [Fact]
    public async Task Order_EveryRefusalIsCountedOnce()
    {
        await _gateway.RunAsync(Request(RouteKeyScope.Endpoint, "get", EndpointTarget));
        await _gateway.RunAsync(Request(RouteKeyScope.Endpoint, "GET", EndpointTarget));
        await _gateway.RunAsync(Request(RouteKeyScope.Endpoint, "GET", EndpointTarget, "Bearer " + _gateway.AddKey(KeyScopes.All)));

        Assert.Equal([("refused", "method_not_allowed"), ("refused", "missing_key"), ("allowed", "ok")], _gateway.Decisions());
    }
}
