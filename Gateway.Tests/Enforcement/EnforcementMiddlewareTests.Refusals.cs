using Gateway.Caching;
using Gateway.Configuration;
using Gateway.Enforcement;
using Gateway.Keys;
using static Gateway.Tests.Enforcement.MiddlewareHarness;

namespace Gateway.Tests.Enforcement;

/// <summary>Every refusal the enforcement middleware writes, one request each, with its status, headers and metric.</summary>
public sealed partial class EnforcementMiddlewareTests : IDisposable
{
    private const string EndpointTarget = "/v2/" + EndpointId + "/run";
    private readonly MiddlewareHarness _gateway = new();

    public void Dispose() => _gateway.Dispose();

    private static KeyScopes Endpoint(AccessLevel level) =>
        new(AccessLevel.None, new Dictionary<string, AccessLevel> { [EndpointId] = level });

    private static KeyScopes GraphQL(AccessLevel level) =>
        new(level, new Dictionary<string, AccessLevel>());

    [Fact]
    public async Task Allowed_ForwardsAndCountsAllowed()
    {
        var key = _gateway.AddKey(Endpoint(AccessLevel.ReadWrite));
        var context = Request(RouteKeyScope.Endpoint, "POST", EndpointTarget, "Bearer " + key);

        Assert.Equal("forwarded", await _gateway.RunAsync(context));
        Assert.Equal([("allowed", "ok")], _gateway.Decisions());
        Assert.Equal([("key_0", ScopeTarget.Endpoint(EndpointId), true)], _gateway.Usage.Records);
    }

    [Theory]
    [InlineData(RouteKeyScope.Endpoint, "get", "GET, HEAD, OPTIONS, POST, PUT, PATCH, DELETE")]
    [InlineData(RouteKeyScope.GraphQL, "post", "GET, POST")]
    [InlineData(RouteKeyScope.Public, "head", "GET, HEAD, OPTIONS, POST, PUT, PATCH, DELETE")]
    public async Task MethodNotUpperCase_405WithAllow(RouteKeyScope scope, string method, string allow)
    {
        var context = Request(scope, method, "/v2/" + EndpointId + "/run");

        Assert.Equal("method_not_allowed", await _gateway.RunAsync(context));
        Assert.Equal(405, context.Response.StatusCode);
        Assert.Equal(allow, context.Response.Headers.Allow.ToString());
        Assert.Equal([("refused", "method_not_allowed")], _gateway.Decisions());
    }

    [Fact]
    public async Task RouteWithoutKeyScope_404()
    {
        var context = Request(RouteKeyScope.Invalid, "GET", "/anything");

        Assert.Equal("not_found", await _gateway.RunAsync(context));
        Assert.Equal(404, context.Response.StatusCode);
    }

    [Theory]
    [InlineData("/v2/ep1%2Fep2/run")]
    [InlineData("/v2/ep1/..;/ep2/run")]
    [InlineData("/v2/ep1//run")]
    public async Task UnsafePath_400InvalidPath(string target)
    {
        var context = Request(RouteKeyScope.Endpoint, "GET", target, "Bearer " + _gateway.AddKey(KeyScopes.All));

        Assert.Equal("invalid_path", await _gateway.RunAsync(context));
        Assert.Equal(400, context.Response.StatusCode);
    }

    [Fact]
    public async Task BadEndpointId_400()
    {
        var context = Request(RouteKeyScope.Endpoint, "GET", "/v2/" + new string('a', 65) + "/run", "Bearer " + _gateway.AddKey(KeyScopes.All));

        Assert.Equal("invalid_endpoint_id", await _gateway.RunAsync(context));
        Assert.Equal(400, context.Response.StatusCode);
    }

    [Fact]
    public async Task NoKey_401WithBearerChallenge()
    {
        var context = Request(RouteKeyScope.Endpoint, "GET", EndpointTarget);

        Assert.Equal("missing_key", await _gateway.RunAsync(context));
        Assert.Equal(401, context.Response.StatusCode);
        Assert.Equal("Bearer", context.Response.Headers.WWWAuthenticate.ToString());
        Assert.Equal("no-store", context.Response.Headers.CacheControl.ToString());
    }

    [Fact]
    public async Task TwoDifferentKeys_400Ambiguous()
    {
        var header = _gateway.AddKey(KeyScopes.All);
        var query = _gateway.AddKey(KeyScopes.All);
        var context = Request(RouteKeyScope.Endpoint, "GET", EndpointTarget + "?api_key=" + query, "Bearer " + header);

        Assert.Equal("ambiguous_key", await _gateway.RunAsync(context));
        Assert.Equal(400, context.Response.StatusCode);
        Assert.Equal(0, _gateway.Keys.StoreReads);
    }

    [Fact]
    public async Task MalformedKey_401InvalidTokenWithoutStoreRead()
    {
        var context = Request(RouteKeyScope.Endpoint, "GET", EndpointTarget, "Bearer rpa_short");

        Assert.Equal("invalid_key", await _gateway.RunAsync(context));
        Assert.Equal(401, context.Response.StatusCode);
        Assert.Equal("Bearer error=\"invalid_token\"", context.Response.Headers.WWWAuthenticate.ToString());
        Assert.Equal(0, _gateway.Keys.StoreReads);
    }

    [Fact]
    public async Task UnknownKey_401AfterOneStoreRead()
    {
        var context = Request(RouteKeyScope.Endpoint, "GET", EndpointTarget, "Bearer " + KeyFormat.Generate());

        Assert.Equal("invalid_key", await _gateway.RunAsync(context));
        Assert.Equal(1, _gateway.Keys.StoreReads);
    }

    [Fact]
    public async Task StoreUnreachable_503WithRetryAfter()
    {
        _gateway.Keys.Unknown = KeyLookup.Unavailable(7);
        var context = Request(RouteKeyScope.Endpoint, "GET", EndpointTarget, "Bearer " + KeyFormat.Generate());

        Assert.Equal("store_unavailable", await _gateway.RunAsync(context));
        Assert.Equal(503, context.Response.StatusCode);
        Assert.Equal("7", context.Response.Headers.RetryAfter.ToString());
    }

    [Fact]
    public async Task FailedKeysPastTheLimit_429ThenNoStoreRead()
    {
        using var gateway = new MiddlewareHarness(failedKeyAttempts: 2);
        Assert.Equal("invalid_key", await gateway.RunAsync(Request(RouteKeyScope.Endpoint, "GET", EndpointTarget, "Bearer " + KeyFormat.Generate())));
        Assert.Equal("invalid_key", await gateway.RunAsync(Request(RouteKeyScope.Endpoint, "GET", EndpointTarget, "Bearer " + KeyFormat.Generate())));
        Assert.Equal(2, gateway.Keys.StoreReads);

        var blocked = Request(RouteKeyScope.Endpoint, "GET", EndpointTarget, "Bearer " + gateway.AddKey(KeyScopes.All));

        Assert.Equal("too_many_failed_attempts", await gateway.RunAsync(blocked));
        Assert.Equal(429, blocked.Response.StatusCode);
        Assert.Equal("3600", blocked.Response.Headers.RetryAfter.ToString());
        Assert.Equal(2, gateway.Keys.StoreReads);
    }

    [Fact]
    public async Task DisabledKey_403AndCountedRefused()
    {
        var key = _gateway.AddKey(KeyScopes.All, enabled: false);
        var context = Request(RouteKeyScope.Endpoint, "GET", EndpointTarget, "Bearer " + key);

        Assert.Equal("key_disabled", await _gateway.RunAsync(context));
        Assert.Equal(403, context.Response.StatusCode);
        Assert.Equal([("key_0", ScopeTarget.Endpoint(EndpointId), false)], _gateway.Usage.Records);
    }

    [Fact]
    public async Task KeyPastItsExpiry_403Expired()
    {
        var key = _gateway.AddKey(KeyScopes.All, expiresAt: _gateway.Time.GetUtcNow().AddMinutes(1));
        Assert.Equal("forwarded", await _gateway.RunAsync(Request(RouteKeyScope.Endpoint, "GET", EndpointTarget, "Bearer " + key)));

        _gateway.Time.Advance(TimeSpan.FromMinutes(1));
        var context = Request(RouteKeyScope.Endpoint, "GET", EndpointTarget, "Bearer " + key);

        Assert.Equal("key_expired", await _gateway.RunAsync(context));
        Assert.Equal(403, context.Response.StatusCode);
    }

    [Theory]
    [InlineData("POST", AccessLevel.Read, "This request needs 'readwrite' on endpoint 'ep1'; the key has 'read'.")]
    [InlineData("GET", AccessLevel.None, "This request needs 'read' on endpoint 'ep1'; the key has 'none'.")]
    public async Task EndpointOutOfScope_403ScopeDenied(string method, AccessLevel granted, string detail)
    {
        var key = _gateway.AddKey(Endpoint(granted));
        var context = Request(RouteKeyScope.Endpoint, method, EndpointTarget, "Bearer " + key);

        Assert.Equal("scope_denied", await _gateway.RunAsync(context));
        Assert.Equal(403, context.Response.StatusCode);
        Assert.Equal(detail, Problem(context).GetProperty("detail").GetString());
        Assert.Equal([("refused", "scope_denied")], _gateway.Decisions());
    }

    [Fact]
    public async Task ReadKeyGetWithBody_NeedsReadWrite()
    {
        var key = _gateway.AddKey(Endpoint(AccessLevel.Read));
        var context = Request(RouteKeyScope.Endpoint, "GET", EndpointTarget, "Bearer " + key);
        context.Request.ContentLength = 3;

        Assert.Equal("scope_denied", await _gateway.RunAsync(context));
    }

    [Fact]
    public async Task GraphQLMutationWithReadKey_403ScopeDenied()
    {
        var context = Request(RouteKeyScope.GraphQL, "POST", "/graphql", "Bearer " + _gateway.AddKey(GraphQL(AccessLevel.Read)));
        SetBody(context, "application/json", """{"query":"mutation { stop(id: 1) }"}""");

        Assert.Equal("scope_denied", await _gateway.RunAsync(context));
        Assert.Equal("This request needs 'readwrite' on graphql; the key has 'read'.", Problem(context).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task GraphQLQueryWithReadKey_Forwarded()
    {
        var context = Request(RouteKeyScope.GraphQL, "POST", "/graphql", "Bearer " + _gateway.AddKey(GraphQL(AccessLevel.Read)));
        SetBody(context, "application/json", """{"query":"{ pods { id } }"}""");

        Assert.Equal("forwarded", await _gateway.RunAsync(context));
        Assert.Equal("""{"query":"{ pods { id } }"}""", new StreamReader(_gateway.Forwarded!.Body).ReadToEnd());
    }

    [Fact]
    public async Task GraphQLSameDocumentAgain_AnsweredFromTheInjectedTable()
    {
        using var lookups = new Gateway.Tests.Infrastructure.CounterReader(_gateway.Meters, "gateway.graphql.document_cache.lookups");
        var key = _gateway.AddKey(GraphQL(AccessLevel.Read));
        var counted = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            var context = Request(RouteKeyScope.GraphQL, "POST", "/graphql", "Bearer " + key);
            SetBody(context, "application/graphql", "{ pods { id } }");
            Assert.Equal("forwarded", await _gateway.RunAsync(context));
            counted.AddRange(lookups.Changes().Select(tags => tags["result"]));
        }

        Assert.Equal(1, _gateway.Documents.Count);
        Assert.Equal(["miss", "hit"], counted);
    }

    [Fact]
    public async Task GraphQLDocumentThatDoesNotParse_400InvalidGraphQL()
    {
        var context = Request(RouteKeyScope.GraphQL, "POST", "/graphql", "Bearer " + _gateway.AddKey(KeyScopes.All));
        SetBody(context, "application/json", """{"query":"{ pods { id "}""");

        Assert.Equal("invalid_graphql", await _gateway.RunAsync(context));
        Assert.Equal(400, context.Response.StatusCode);
    }

    [Fact]
    public async Task GraphQLMutationOverGet_405()
    {
        var context = Request(RouteKeyScope.GraphQL, "GET", "/graphql?query=mutation%7Bstop%7D", "Bearer " + _gateway.AddKey(KeyScopes.All));

        Assert.Equal("method_not_allowed", await _gateway.RunAsync(context));
        Assert.Equal(405, context.Response.StatusCode);
        Assert.Equal("GET, POST", context.Response.Headers.Allow.ToString());
    }

    [Fact]
    public async Task GraphQLGetWithBody_400()
    {
        var context = Request(RouteKeyScope.GraphQL, "GET", "/graphql?query=%7Bpods%7D", "Bearer " + _gateway.AddKey(KeyScopes.All));
        context.Features.Set<Microsoft.AspNetCore.Http.Features.IHttpRequestBodyDetectionFeature>(null);

        Assert.Equal("invalid_graphql", await _gateway.RunAsync(context));
    }

    [Fact]
    public async Task GraphQLAsPlainText_415()
    {
        var context = Request(RouteKeyScope.GraphQL, "POST", "/graphql", "Bearer " + _gateway.AddKey(KeyScopes.All));
        SetBody(context, "text/plain", "{ pods { id } }");

        Assert.Equal("unsupported_media_type", await _gateway.RunAsync(context));
        Assert.Equal(415, context.Response.StatusCode);
    }

    [Fact]
    public async Task GraphQLBodyOverTheLimit_413WithoutReadingIt()
    {
        using var gateway = new MiddlewareHarness(new KeyScopesOptions { MaxGraphQLBodyBytes = 16 });
        var context = Request(RouteKeyScope.GraphQL, "POST", "/graphql", "Bearer " + gateway.AddKey(KeyScopes.All));
        SetBody(context, "application/json", """{"query":"{ pods { id } }"}""");

        Assert.Equal("payload_too_large", await gateway.RunAsync(context));
        Assert.Equal(413, context.Response.StatusCode);
        Assert.Equal("close", context.Response.Headers.Connection.ToString());
        Assert.Equal(0, context.Request.Body.Position);
    }

    [Fact]
    public async Task GraphQLBodyThatStopsArriving_408WhenTheTimeoutPasses()
    {
        using var gateway = new MiddlewareHarness(new KeyScopesOptions { GraphQLBodyTimeout = TimeSpan.FromSeconds(10) });
        var context = Request(RouteKeyScope.GraphQL, "POST", "/graphql", "Bearer " + gateway.AddKey(KeyScopes.All));
        context.Request.ContentType = "application/json";
        context.Request.ContentLength = 100;
        var stalled = new StalledBody();
        context.Request.Body = stalled;

        var run = gateway.RunAsync(context);
        await stalled.Reading.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(run.IsCompleted);
        gateway.Time.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal("body_timeout", await run.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(408, context.Response.StatusCode);
    }

    [Fact]
    public async Task GraphQLUpgradeWhenTurnedOff_405()
    {
        using var gateway = new MiddlewareHarness(new KeyScopesOptions { GraphQLWebSockets = KeyScopesOptions.GraphQLWebSocketsRefuse });
        var context = Request(RouteKeyScope.GraphQL, "GET", "/graphql", "Bearer " + gateway.AddKey(KeyScopes.All));
        context.Request.Headers.Connection = "Upgrade";
        context.Request.Headers.Upgrade = "websocket";
        context.Features.Set<Microsoft.AspNetCore.Http.Features.IHttpUpgradeFeature>(new Upgradable());

        Assert.Equal("method_not_allowed", await gateway.RunAsync(context));
        Assert.Equal("WebSocket upgrades are turned off on GraphQL routes.", Problem(context).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task EndpointUpgradeWithReadKey_403NeedsReadWrite()
    {
        var context = Request(RouteKeyScope.Endpoint, "GET", EndpointTarget, "Bearer " + _gateway.AddKey(Endpoint(AccessLevel.Read)));
        context.Request.Headers.Connection = "Upgrade";
        context.Request.Headers.Upgrade = "websocket";
        context.Features.Set<Microsoft.AspNetCore.Http.Features.IHttpUpgradeFeature>(new Upgradable());

        Assert.Equal("scope_denied", await _gateway.RunAsync(context));
    }

    private sealed class Upgradable : Microsoft.AspNetCore.Http.Features.IHttpUpgradeFeature
    {
        public bool IsUpgradableRequest => true;

        public Task<Stream> UpgradeAsync() => throw new NotSupportedException();
    }

    /// <summary>A body whose bytes never come: a read waits until it is cancelled.</summary>
    private sealed class StalledBody : Stream
    {
        public TaskCompletionSource Reading { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => 0; set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Reading.TrySetResult();
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return 0;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
