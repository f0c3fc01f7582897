using System.Net;
using Gateway.Configuration;
using Gateway.Keys;
using static Gateway.Tests.Enforcement.MiddlewareHarness;

namespace Gateway.Tests.Enforcement;

/// <summary>
/// Client-address allow-lists in the check order (contract §4, §8): after the key's state, before the GraphQL body and
/// the scope; refused as <c>ip_not_allowed</c>, counted as denied and in the request counter. The harness's client is
/// <see cref="MiddlewareHarness.Client"/> (192.0.2.7).
/// </summary>
public sealed partial class EnforcementMiddlewareTests
{
    private const string AllowedIpsTarget = "/v2/" + EndpointId + "/run";

    [Fact]
    public async Task AllowedIps_ClientInABlock_IsForwarded()
    {
        var key = _gateway.AddKey(KeyScopes.All, allowedIps: ["10.0.0.0/8", "192.0.2.0/24"]);

        Assert.Equal("forwarded", await _gateway.RunAsync(Request(RouteKeyScope.Endpoint, "POST", AllowedIpsTarget, "Bearer " + key)));
    }

    [Fact]
    public async Task AllowedIps_ClientInNoBlock_IsRefused_CountedDenied_AndInTheCounter()
    {
        var key = _gateway.AddKey(KeyScopes.All, allowedIps: ["10.0.0.0/8", "2001:db8::/32"]);
        var context = Request(RouteKeyScope.Endpoint, "POST", AllowedIpsTarget, "Bearer " + key);

        Assert.Equal("ip_not_allowed", await _gateway.RunAsync(context));
        Assert.Equal(403, context.Response.StatusCode);
        Assert.Equal([("key_0", ScopeTarget.Endpoint(EndpointId), false)], _gateway.Usage.Records);
        Assert.Equal([("refused", "ip_not_allowed")], _gateway.Decisions());
    }

    [Fact]
    public async Task AllowedIps_UnknownClientAddress_FailsClosed()
    {
        var context = Request(RouteKeyScope.Endpoint, "POST", AllowedIpsTarget, "Bearer " + _gateway.AddKey(KeyScopes.All, allowedIps: ["0.0.0.0/0", "::/0"]));
        context.Connection.RemoteIpAddress = null;

        Assert.Equal("ip_not_allowed", await _gateway.RunAsync(context));
    }

    [Fact]
    public async Task AllowedIps_MappedClient_MatchesAnIPv4Block()
    {
        var context = Request(RouteKeyScope.Endpoint, "POST", AllowedIpsTarget, "Bearer " + _gateway.AddKey(KeyScopes.All, allowedIps: ["10.0.0.0/8"]));
        context.Connection.RemoteIpAddress = IPAddress.Parse("::ffff:10.1.2.3");

        Assert.Equal("forwarded", await _gateway.RunAsync(context));
    }

    [Fact]
    public async Task Order_StateBeforeClientAddress()
    {
        var key = _gateway.AddKey(KeyScopes.All, enabled: false, allowedIps: ["10.0.0.0/8"]);

        Assert.Equal("key_disabled", await _gateway.RunAsync(Request(RouteKeyScope.Endpoint, "POST", AllowedIpsTarget, "Bearer " + key)));
    }

    [Fact]
    public async Task Order_ClientAddressBeforeGraphQLBody_BodyNotRead()
    {
        var key = _gateway.AddKey(KeyScopes.All, allowedIps: ["10.0.0.0/8"]);
        var context = Request(RouteKeyScope.GraphQL, "POST", "/graphql", "Bearer " + key);
        SetBody(context, "application/json", "not json");

        Assert.Equal("ip_not_allowed", await _gateway.RunAsync(context));
        Assert.Equal(0, context.Request.Body.Position);
    }

    [Fact]
    public async Task Order_ClientAddressBeforeScope_AndBeforeRateLimits()
    {
        var key = _gateway.AddKey(GraphQL(AccessLevel.None), allowedIps: ["10.0.0.0/8"], rateLimits: [new(1, 60)]);

        Assert.Equal("ip_not_allowed", await _gateway.RunAsync(Request(RouteKeyScope.Endpoint, "POST", AllowedIpsTarget, "Bearer " + key)));
        Assert.Equal(0, _gateway.RateLimits.Calls);
    }

    [Fact]
    public async Task Order_ClientAddressBeforeAnUpgradesScope()
    {
        var key = _gateway.AddKey(GraphQL(AccessLevel.None), allowedIps: ["10.0.0.0/8"]);
        var context = Request(RouteKeyScope.Endpoint, "GET", AllowedIpsTarget, "Bearer " + key);
        context.Features.Set<Microsoft.AspNetCore.Http.Features.IHttpUpgradeFeature>(new Upgradable());

        Assert.Equal("ip_not_allowed", await _gateway.RunAsync(context));
    }
}
