using System.Net;
using System.Text;
using System.Text.Json;
using Gateway.Abuse;
using Gateway.Caching;
using Gateway.Configuration;
using Gateway.Enforcement;
using Gateway.GraphQL;
using Gateway.Keys;
using Gateway.Observability;
using Gateway.Tests.Infrastructure;
using Gateway.Usage;
using Gateway.WebSockets;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Gateway.Tests.Enforcement;

/// <summary>
/// The real <see cref="EnforcementMiddleware"/> over a <see cref="DefaultHttpContext"/>, the way ASP.NET Core tests its
/// own middleware: no server, no store. Keys come from <see cref="FakeKeys"/> behind the <see cref="IKeyResolver"/>
/// seam; time is a <see cref="FakeTimeProvider"/>; the request counter is read as a scrape reads it, after each request.
/// </summary>
internal sealed class MiddlewareHarness : IDisposable
{
    public const string EndpointId = "ep1";
    public const string UpstreamAuthorization = "Bearer upstream-secret";
    public static readonly IPAddress Client = IPAddress.Parse("192.0.2.7");

    private readonly ServiceProvider _services;
    private readonly AbuseLimiters _abuse;
    private readonly UpgradeRegistry _registry;
    private readonly EnforcementMiddleware _middleware;
    private readonly List<(string Decision, string Code)> _decisions = [];

    public MiddlewareHarness(KeyScopesOptions? scopes = null, int failedKeyAttempts = 100)
    {
        _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        Meters = _services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        Metrics = new GatewayMetrics(Meters);
        Requests = new CounterReader(Meters, "gateway.requests");
        var options = new FixedOptions<KeyScopesOptions>(scopes ?? new KeyScopesOptions());
        _abuse = new AbuseLimiters(
            new FailedAttemptLimiter(failedKeyAttempts, TimeSpan.FromHours(1)),
            new FailedAttemptLimiter(failedKeyAttempts, TimeSpan.FromHours(1)));
        _registry = new UpgradeRegistry(Keys, Time, Metrics, Options.Create(new CacheOptions()), NullLogger<UpgradeRegistry>.Instance);
        Documents = new AcceptedDocuments(Options.Create(new GraphQLDocumentCacheOptions()), Metrics);
        var upgrades = new UpgradeGate(_registry, Keys, Usage, RateLimits, options, Time, Documents, NullLogger<GraphQLWebSocketRelay>.Instance);
        var upstreams = new UpstreamCredentials(new FixedOptions<Dictionary<string, UpstreamOptions>>(new()
        {
            ["with-credentials"] = new UpstreamOptions { Authorization = UpstreamAuthorization },
        }));
        var bodies = new GraphQLBodyReader(new GraphQLBodyBudget(options, Metrics), options, Time);
        _middleware = new EnforcementMiddleware(Next, Keys, Usage, upstreams, options, Metrics, _abuse, upgrades, bodies, Documents, RateLimits, Time);
    }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));

    public FakeKeys Keys { get; } = new();

    public RecordingUsage Usage { get; } = new();

    public FakeRateLimiter RateLimits { get; } = new();

    public System.Diagnostics.Metrics.IMeterFactory Meters { get; }

    public GatewayMetrics Metrics { get; }

    public AcceptedDocuments Documents { get; }

    public CounterReader Requests { get; }

    /// <summary>The request as it was handed on to the proxy, or null when the middleware answered it.</summary>
    public ForwardedRequest? Forwarded { get; private set; }

    /// <summary>A key with <paramref name="scopes"/>, known to the fake store (and to memory when <paramref name="inMemory"/>).</summary>
    public string AddKey(KeyScopes scopes, bool enabled = true, DateTimeOffset? expiresAt = null, bool inMemory = false, Gateway.RateLimiting.RateLimitRule[]? rateLimits = null, string[]? allowedIps = null)
    {
        var key = KeyFormat.Generate();
        var apiKey = new ApiKey("key_" + Keys.Count, "test", KeyKind.Rpa, KeyFormat.DisplayPrefix(key), enabled,
            Time.GetUtcNow(), null, expiresAt, scopes)
        {
            RateLimits = rateLimits ?? [],
            AllowedIps = allowedIps is null ? [] : [.. allowedIps.Select(entry => AllowedIps.ParseEntry(entry, out var block) is null ? block : throw new ArgumentException(entry))],
        };
        Keys.Add(KeyDigest.Compute(key), KeyLookup.Found(apiKey), inMemory);
        return key;
    }

    public static DefaultHttpContext Request(RouteKeyScope scope, string method, string target, string? authorization = null, string? cluster = null)
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = Client;
        var request = context.Request;
        request.Method = method;
        var question = target.IndexOf('?');
        request.Path = question < 0 ? target : target[..question];
        request.QueryString = question < 0 ? QueryString.Empty : new QueryString(target[question..]);
        context.Features.Get<IHttpRequestFeature>()!.RawTarget = target;
        if (authorization is not null)
        {
            request.Headers.Authorization = authorization;
        }

        var segments = request.Path.Value!.Split('/');
        if (scope == RouteKeyScope.Endpoint && segments.Length > 2)
        {
            request.RouteValues[RouteKeyScopes.EndpointIdRouteValue] = segments[2];
        }

        context.Features.Set<IHttpRequestBodyDetectionFeature>(new BodyDetection(method is "POST" or "PUT" or "PATCH"));
        context.Features.Set<IReverseProxyFeature>(new ProxyFeature(scope, cluster ?? "plain"));
        context.Response.Body = new MemoryStream();
        return context;
    }

    public static void SetBody(HttpContext context, string contentType, string body)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        context.Request.ContentType = contentType;
        context.Request.ContentLength = bytes.Length;
        context.Request.Body = new MemoryStream(bytes);
    }

    public async Task InvokeAsync(HttpContext context)
    {
        await _middleware.Invoke(context);
        NoteDecisions();
    }

    /// <summary>Runs the request; the problem's <c>code</c> member, or "forwarded" when it reached the proxy.</summary>
    public async Task<string> RunAsync(HttpContext context)
    {
        Forwarded = null;
        await InvokeAsync(context);
        return Forwarded is not null ? "forwarded" : Problem(context).GetProperty("code").GetString()!;
    }

    public static JsonElement Problem(HttpContext context)
    {
        Assert.Equal(ProblemWriter.ContentType, context.Response.ContentType);
        var body = (MemoryStream)context.Response.Body;
        return JsonDocument.Parse(body.ToArray()).RootElement;
    }

    /// <summary>
    /// The (decision, code) of every count <c>gateway.requests</c> made so far: its counts are read after each request,
    /// so the list is in request order, and a request counted twice appears twice.
    /// </summary>
    public IReadOnlyList<(string Decision, string Code)> Decisions()
    {
        NoteDecisions();
        return [.. _decisions];
    }

    private void NoteDecisions() => _decisions.AddRange(Requests.Changes().Select(tags => (tags["decision"], tags["code"])));

    public void Dispose()
    {
        Requests.Dispose();
        _registry.Dispose();
        _abuse.Dispose();
        Metrics.Dispose();
        _services.Dispose();
    }

    private Task Next(HttpContext context)
    {
        var request = context.Request;
        Forwarded = new ForwardedRequest(
            request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
            request.QueryString.Value ?? "",
            context.Request.Body);
        return Task.CompletedTask;
    }

    private sealed class BodyDetection(bool canHaveBody) : IHttpRequestBodyDetectionFeature
    {
        public bool CanHaveBody { get; } = canHaveBody;
    }

    private sealed class ProxyFeature(RouteKeyScope scope, string clusterId) : IReverseProxyFeature
    {
        public RouteModel Route { get; } = new(
            new RouteConfig
            {
                RouteId = "route",
                ClusterId = clusterId,
                Metadata = scope == RouteKeyScope.Invalid ? null : new Dictionary<string, string> { [RouteKeyScopes.MetadataKey] = scope.ToString() },
            },
            null,
            HttpTransformer.Default);

        public ClusterModel Cluster { get; set; } = new(new ClusterConfig { ClusterId = clusterId }, new HttpMessageInvoker(new HttpClientHandler()));

        public IReadOnlyList<DestinationState> AllDestinations { get; } = [];

        public IReadOnlyList<DestinationState> AvailableDestinations { get; set; } = [];

        public DestinationState? ProxiedDestination { get; set; }
    }
}

/// <summary>What the proxy would have sent on.</summary>
internal sealed record ForwardedRequest(IReadOnlyDictionary<string, string> Headers, string Query, Stream Body);

/// <summary>The key store and L1 in one dictionary; counts what each request cost.</summary>
internal sealed class FakeKeys : IKeyResolver
{
    private readonly Dictionary<KeyDigest, (KeyLookup Lookup, bool InMemory)> _keys = [];

    public int Count => _keys.Count;

    /// <summary>Store reads asked for: a key memory did not know.</summary>
    public int StoreReads { get; private set; }

    /// <summary>What a store read answers for a key it does not hold (NotFound, or Unavailable for an outage).</summary>
    public KeyLookup Unknown { get; set; } = KeyLookup.NotFound;

    public void Add(KeyDigest digest, KeyLookup lookup, bool inMemory) => _keys[digest] = (lookup, inMemory);

    public bool TryLookupInMemory(KeyDigest digest, out KeyLookup lookup)
    {
        var found = _keys.TryGetValue(digest, out var entry) && entry.InMemory;
        lookup = found ? entry.Lookup : default;
        return found;
    }

    public Task<KeyLookup> LookupInStoreAsync(KeyDigest digest)
    {
        StoreReads++;
        return Task.FromResult(_keys.TryGetValue(digest, out var entry) ? entry.Lookup : Unknown);
    }

    public ValueTask<KeyLookup> LookupAsync(KeyDigest digest) =>
        TryLookupInMemory(digest, out var lookup) ? new(lookup) : new(LookupInStoreAsync(digest));
}

internal sealed class RecordingUsage : IUsageRecorder
{
    public List<(string KeyId, ScopeTarget Target, bool Allowed)> Records { get; } = [];

    public void Record(ApiKey key, ScopeTarget target, bool allowed) => Records.Add((key.Id, target, allowed));

    public List<(string KeyId, ScopeTarget Target)> Limited { get; } = [];

    public void RecordLimited(ApiKey key, ScopeTarget target) => Limited.Add((key.Id, target));
}

/// <summary>A limiter that answers what the test sets, and counts how often it was asked.</summary>
internal sealed class FakeRateLimiter : Gateway.RateLimiting.IRateLimiter
{
    public Gateway.RateLimiting.RateLimitDecision Next { get; set; } = Gateway.RateLimiting.RateLimitDecision.Admit;

    public int Calls { get; private set; }

    public ValueTask<Gateway.RateLimiting.RateLimitDecision> AcquireAsync(ApiKey key)
    {
        Calls++;
        return new(Next);
    }
}

/// <summary>An options monitor that never changes.</summary>
internal sealed class FixedOptions<T>(T value) : IOptionsMonitor<T>
{
    public T CurrentValue => value;

    public T Get(string? name) => value;

    public IDisposable? OnChange(Action<T, string?> listener) => null;
}
