using Gateway.Configuration;
using Gateway.Keys;
using Gateway.RateLimiting;
using static Gateway.Tests.Enforcement.MiddlewareHarness;

namespace Gateway.Tests.Enforcement;

/// <summary>Step (6): the key's rate limits, asked only for a key that has some, and only after the scope allowed the request.</summary>
public sealed partial class EnforcementMiddlewareTests
{
    private static readonly RateLimitRule[] TenPerSecond = [new(10, 1)];

    [Fact]
    public async Task RateLimits_AKeyWithout_NeverAsksTheLimiter()
    {
        var key = _gateway.AddKey(KeyScopes.All, inMemory: true);

        Assert.Equal("forwarded", await _gateway.RunAsync(Request(RouteKeyScope.Endpoint, "GET", EndpointTarget, "Bearer " + key)));
        Assert.Equal(0, _gateway.RateLimits.Calls);
    }

    [Fact]
    public async Task RateLimits_Refused_Is429_NotForwarded_CountedLimited_WithHeaders()
    {
        var key = _gateway.AddKey(KeyScopes.All, inMemory: true, rateLimits: TenPerSecond);
        _gateway.RateLimits.Next = RateLimitDecision.Refuse(1200, TenPerSecond, 0);
        var context = Request(RouteKeyScope.Endpoint, "GET", EndpointTarget, "Bearer " + key);

        Assert.Equal("rate_limited", await _gateway.RunAsync(context));
        Assert.Equal(429, context.Response.StatusCode);
        Assert.Equal("2", context.Response.Headers.RetryAfter.ToString());
        Assert.Equal("\"1s\";q=10;w=1", context.Response.Headers["RateLimit-Policy"].ToString());
        Assert.Equal("\"1s\";r=0;t=2", context.Response.Headers["RateLimit"].ToString());
        Assert.Single(_gateway.Usage.Limited);
        Assert.Empty(_gateway.Usage.Records);
    }

    [Fact]
    public async Task RateLimits_AScopeRefusal_NeverSpendsALimit()
    {
        var key = _gateway.AddKey(KeyScopes.None, inMemory: true, rateLimits: TenPerSecond);

        Assert.Equal("scope_denied", await _gateway.RunAsync(Request(RouteKeyScope.Endpoint, "GET", EndpointTarget, "Bearer " + key)));
        Assert.Equal(0, _gateway.RateLimits.Calls);
    }

    [Fact]
    public async Task RateLimits_Admitted_IsForwarded()
    {
        var key = _gateway.AddKey(KeyScopes.All, inMemory: true, rateLimits: TenPerSecond);

        Assert.Equal("forwarded", await _gateway.RunAsync(Request(RouteKeyScope.Endpoint, "GET", EndpointTarget, "Bearer " + key)));
        Assert.Equal(1, _gateway.RateLimits.Calls);
    }
}
