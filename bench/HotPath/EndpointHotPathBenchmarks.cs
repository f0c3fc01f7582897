using BenchmarkDotNet.Attributes;
using Gateway.Abuse;
using Gateway.Caching;
using Gateway.Configuration;
using Gateway.Enforcement;
using Gateway.GraphQL;
using Gateway.Keys;
using Gateway.Observability;
using Gateway.Store;
using Gateway.Usage;
using Gateway.WebSockets;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace HotPath;

/// <summary>
/// The request path of an <c>Endpoint</c> route whose key is in L1: the real <see cref="EnforcementMiddleware"/>
/// (method case, override headers, path check, credential extraction, form check, SHA-256, L1 hit, state, scope,
/// credential stripping) invoked on a <see cref="DefaultHttpContext"/>, with the real <see cref="KeyCache"/> behind
/// its <see cref="IKeyResolver"/> seam. The parts are measured on their own too, so a regression points at its step.
/// The store is a real embedded Garnet; the key is created through <see cref="KeyStore"/> and loaded once.
/// </summary>
[MemoryDiagnoser]
public class EndpointHotPathBenchmarks
{
    private const string EndpointId = "abc123";
    private const string Target = "/v2/" + EndpointId + "/run";
    private readonly TimeProvider _time = TimeProvider.System;
    private string _dataDirectory = "";
    private ServiceProvider? _services;
    private MeterProvider? _meterProvider;
    private StoreConnection? _connection;
    private KeyCache _cache = null!;
    private DefaultHttpContext _context = null!;
    private string _key = "";
    private KeyDigest _digest;
    private ApiKey _apiKey = null!;
    private string _authorization = "";
    private EnforcementMiddleware _middleware = null!;
    private UpgradeRegistry? _upgrades;
    private AbuseLimiters? _abuse;
    private bool _forwarded;
    private DefaultHttpContext _graphQL = null!;
    private FixedBodyPipe _graphQLBody = null!;
    private CompletingResponse _graphQLResponse = null!;
    private readonly byte[] _sink = new byte[4096];

    /// <summary>
    /// Whether the gateway's meter has a listener: the OpenTelemetry SDK with the Prometheus exporter, as in the
    /// gateway. Without one, <c>Counter.Add</c> returns at once and its cost is not seen.
    /// </summary>
    [Params(false, true)]
    public bool Metrics { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _dataDirectory = Path.Combine(Path.GetTempPath(), "hotpath-bench-" + Guid.NewGuid().ToString("N"));
        _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        if (Metrics)
        {
            _meterProvider = Sdk.CreateMeterProviderBuilder().AddMeter(GatewayMetrics.MeterName).AddPrometheusExporter().Build();
        }

        // Redis:Configuration empty: StoreConnection starts an embedded Garnet and connects through StackExchange.Redis.
        _connection = new StoreConnection(
            Options.Create(new RedisOptions { KeyPrefix = "bench:" }),
            Options.Create(new StoreOptions { DataDirectory = _dataDirectory }),
            NullLoggerFactory.Instance);
        var store = new KeyStore(_connection);
        var metrics = new GatewayMetrics(_services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());

        // L1Ttl long enough that the entry stays fresh for the whole run: this measures the hit, not a reload.
        var cacheOptions = new CacheOptions { L1Ttl = TimeSpan.FromHours(1) };
        _cache = new KeyCache(store, Options.Create(cacheOptions), _time, metrics, [], NullLogger<KeyCache>.Instance);

        _key = KeyFormat.Generate();
        _digest = KeyDigest.Compute(_key);
        var scopes = new KeyScopes(AccessLevel.Read, new Dictionary<string, AccessLevel>
        {
            [EndpointId] = AccessLevel.ReadWrite,
            ["other"] = AccessLevel.Read,
            [KeyScopes.AnyEndpoint] = AccessLevel.None,
        });
        var created = new ApiKey("key_bench", "bench", KeyKind.Rpa, KeyFormat.DisplayPrefix(_key), true,
            _time.GetUtcNow(), null, _time.GetUtcNow().AddDays(30), scopes);
        if (!store.CreateAsync(created, _digest, announce: false).GetAwaiter().GetResult())
        {
            throw new InvalidOperationException("The benchmark key could not be created.");
        }

        // One miss loads the key from the store into L1; every benchmarked lookup after it is a hit.
        var warm = _cache.LookupAsync(_digest).AsTask().GetAwaiter().GetResult();
        _apiKey = warm.Key ?? throw new InvalidOperationException("The benchmark key was not found after its creation.");
        if (!_cache.LookupAsync(_digest).IsCompletedSuccessfully)
        {
            throw new InvalidOperationException("The second lookup was not an L1 hit.");
        }

        // The middleware with the gateway's own collaborators, as AddGateway registers them; the next step records
        // that it was reached (YARP's forwarder is not part of the enforcement step).
        var scopesOptions = new FixedOptions<KeyScopesOptions>(new KeyScopesOptions());
        _abuse = new AbuseLimiters(new FailedAttemptLimiter(30, TimeSpan.FromMinutes(1)), new FailedAttemptLimiter(5, TimeSpan.FromMinutes(1)));
        _upgrades = new UpgradeRegistry(_cache, _time, metrics, Options.Create(cacheOptions), NullLogger<UpgradeRegistry>.Instance);
        var documents = new AcceptedDocuments(Options.Create(new GraphQLDocumentCacheOptions()), metrics);
        var limits = new NoLimits();
        _middleware = new EnforcementMiddleware(
            context =>
            {
                // As YARP's forwarder does, a body the gateway put back is read out to the end.
                var body = context.Request.Body;
                while (body.Read(_sink) > 0)
                {
                }

                _forwarded = true;
                return Task.CompletedTask;
            },
            _cache,
            NoUsage.Instance,
            new UpstreamCredentials(new FixedOptions<Dictionary<string, UpstreamOptions>>([])),
            scopesOptions,
            metrics,
            _abuse,
            new UpgradeGate(_upgrades, _cache, NoUsage.Instance, limits, scopesOptions, _time, documents, NullLogger<GraphQLWebSocketRelay>.Instance),
            new GraphQLBodyReader(new GraphQLBodyBudget(scopesOptions, metrics), scopesOptions, _time),
            documents,
            limits,
            _time);

        _authorization = "Bearer " + _key;
        _context = new DefaultHttpContext();
        _context.Request.Method = HttpMethods.Post;
        _context.Request.Path = Target;
        _context.Features.Get<IHttpRequestFeature>()!.RawTarget = Target;
        _context.Request.RouteValues[RouteKeyScopes.EndpointIdRouteValue] = EndpointId;
        _context.Features.Set<Yarp.ReverseProxy.Model.IReverseProxyFeature>(new BenchProxyFeature(RouteKeyScope.Endpoint));
        if (!EndpointHotPath())
        {
            throw new InvalidOperationException("The hot path refused the benchmark request.");
        }

        // POST /graphql with bench/wrk/graphql-aliases.lua's body (40 aliases, about 1 KB), already in the request's
        // pipe as Kestrel holds a body sent with its headers. The first call puts the document among the accepted ones.
        var aliases = System.Text.Encoding.UTF8.GetBytes("{\"query\":\"query Aliases { "
            + string.Join(" ", Enumerable.Range(0, 40).Select(i => $"a{i}: myself {{ id email }}")) + " }\",\"operationName\":\"Aliases\"}");
        _graphQLBody = new FixedBodyPipe(aliases);
        _graphQL = new DefaultHttpContext();
        _graphQL.Request.Method = HttpMethods.Post;
        _graphQL.Request.Path = "/graphql";
        _graphQL.Request.ContentType = "application/json";
        _graphQL.Features.Get<IHttpRequestFeature>()!.RawTarget = "/graphql";
        _graphQL.Features.Set<IRequestBodyPipeFeature>(_graphQLBody);
        _graphQLResponse = new CompletingResponse();
        _graphQL.Features.Set<IHttpResponseFeature>(_graphQLResponse);
        _graphQL.Features.Set<Yarp.ReverseProxy.Model.IReverseProxyFeature>(new BenchProxyFeature(RouteKeyScope.GraphQL));
        if (!GraphQLHotPath())
        {
            throw new InvalidOperationException("The hot path refused the GraphQL benchmark request.");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _upgrades?.Dispose();
        _abuse?.Dispose();
        _cache.Dispose();
        _connection?.Dispose();
        _meterProvider?.Dispose();
        _services?.Dispose();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
    }

    /// <summary>
    /// <see cref="EnforcementMiddleware.Invoke"/> for an allowed endpoint request with a key in L1: everything the
    /// enforcement step does, up to handing the request on. The middleware removes the client's Authorization before
    /// forwarding, so it is put back first (one header write).
    /// </summary>
    [Benchmark(Baseline = true)]
    public bool EndpointHotPath()
    {
        _forwarded = false;
        _context.Request.Headers.Authorization = _authorization;
        var invoked = _middleware.Invoke(_context);
        return invoked.IsCompletedSuccessfully && _forwarded && _context.Response.StatusCode == StatusCodes.Status200OK;
    }

    /// <summary>
    /// <see cref="EnforcementMiddleware.Invoke"/> for an allowed GraphQL POST of the 40-alias document (accepted before)
    /// with a key in L1: the endpoint steps plus the GraphQL URL and header rules, taking the body from the pipe,
    /// putting it back, classifying it, and the next step reading it out. The body is put back in the pipe first.
    /// </summary>
    [Benchmark]
    public bool GraphQLHotPath()
    {
        _forwarded = false;
        _graphQL.Request.Headers.Authorization = _authorization;
        _graphQL.Request.ContentLength = _graphQLBody.Length;
        _graphQLBody.Reset();
        var invoked = _middleware.Invoke(_graphQL);
        // What the request registered for its end (the held body: its buffers and its share of the body budget) runs
        // now, as Kestrel runs it when a request ends; DefaultHttpContext alone would never run it, and the budget
        // would run out.
        _graphQLResponse.Complete();
        _graphQL.Request.Body = Stream.Null;
        if (!invoked.IsCompletedSuccessfully || !_forwarded || _graphQLResponse.StatusCode != StatusCodes.Status200OK)
        {
            // A refusal must not pass for a fast allowed request.
            throw new InvalidOperationException($"The GraphQL request was answered {_graphQLResponse.StatusCode}, not forwarded.");
        }

        return true;
    }

    /// <summary>The raw target and the decoded path checked for encoded separators and path parameters.</summary>
    [Benchmark]
    public bool PathCheck() => PathRules.IsSafe(Target, _context.Request.Path.Value);

    [Benchmark]
    public int ExtractCredential() => CredentialExtractor.Extract(_context.Request).Key.Length;

    [Benchmark]
    public KeyForm Classify() => KeyFormat.Classify(_key);

    [Benchmark]
    public KeyDigest ComputeDigest() => KeyDigest.Compute(_key);

    [Benchmark]
    public ApiKey? L1Hit() => _cache.LookupAsync(_digest).Result.Key;

    [Benchmark]
    public bool StateAndScope() =>
        KeyState.Check(_apiKey, _time.GetUtcNow()) == Verdict.Allowed
        && ScopeDecision.Allows(_apiKey.Scopes, ScopeTarget.Endpoint(EndpointId), AccessLevel.ReadWrite);

    // A request body already received, read through the pipe as Kestrel's is: TryRead hands out all of it at once.
    private sealed class FixedBodyPipe(byte[] body) : System.IO.Pipelines.PipeReader, IRequestBodyPipeFeature
    {
        private readonly System.Buffers.ReadOnlySequence<byte> _all = new(body);
        private long _consumed;

        public int Length => body.Length;

        public System.IO.Pipelines.PipeReader Reader => this;

        public void Reset() => _consumed = 0;

        public override bool TryRead(out System.IO.Pipelines.ReadResult result)
        {
            result = new System.IO.Pipelines.ReadResult(_all.Slice(_consumed), isCanceled: false, isCompleted: true);
            return true;
        }

        public override ValueTask<System.IO.Pipelines.ReadResult> ReadAsync(CancellationToken cancellationToken = default) =>
            TryRead(out var result) ? ValueTask.FromResult(result) : default;

        public override void AdvanceTo(SequencePosition consumed) => _consumed = _all.GetOffset(consumed);

        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) => AdvanceTo(consumed);

        public override void CancelPendingRead()
        {
        }

        public override void Complete(Exception? exception = null)
        {
        }
    }

    // The response feature of the GraphQL request: runs what was registered for the request's end when told to.
    private sealed class CompletingResponse : HttpResponseFeature
    {
        private Func<object, Task>? _callback;
        private object? _state;

        public override void OnCompleted(Func<object, Task> callback, object state)
        {
            if (_callback is not null)
            {
                throw new InvalidOperationException("The benchmark expects one registration per request.");
            }

            (_callback, _state) = (callback, state);
        }

        public void Complete()
        {
            var (callback, state) = (_callback, _state);
            (_callback, _state) = (null, null);
            callback?.Invoke(state!).GetAwaiter().GetResult();
        }
    }

    // The benchmark key has no rate limits, so the middleware never asks the limiter: a call would be a bug.
    private sealed class NoLimits : Gateway.RateLimiting.IRateLimiter
    {
        public ValueTask<Gateway.RateLimiting.RateLimitDecision> AcquireAsync(Gateway.Keys.ApiKey key) =>
            throw new InvalidOperationException("A key without limits reached the limiter.");
    }
}
