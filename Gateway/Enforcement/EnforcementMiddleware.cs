using Gateway.Abuse;
using Gateway.Caching;
using Gateway.Configuration;
using Gateway.GraphQL;
using Gateway.Keys;
using Gateway.Observability;
using Gateway.RateLimiting;
using Gateway.Usage;
using Gateway.WebSockets;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Model;

namespace Gateway.Enforcement;

/// <summary>
/// The step in YARP's proxy pipeline that decides whether a request may reach its upstream. Checks run in the
/// order README's "How a request is judged" gives, and the first failure answers: path, key presence and form, key existence, key state,
/// the GraphQL body, the scope. A request with no valid key never costs a body read.
/// </summary>
internal sealed partial class EnforcementMiddleware(
    RequestDelegate next,
    IKeyResolver keys,
    IUsageRecorder usage,
    UpstreamCredentials upstreams,
    IOptionsMonitor<KeyScopesOptions> limits,
    GatewayMetrics metrics,
    AbuseLimiters abuse,
    UpgradeGate upgrades,
    GraphQLBodyReader bodies,
    AcceptedDocuments documents,
    IRateLimiter rateLimits,
    TimeProvider time)
{
    private static readonly string[] MethodOverrideHeaders = ["X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override"];

    // Headers IIS URL Rewrite and some frameworks (Symfony and Zend before they dropped them) take as the request's
    // real path: an upstream that honours them would route to a path the gateway never judged.
    private static readonly string[] PathOverrideHeaders = ["X-Original-URL", "X-Rewrite-URL"];
    private const string EndpointMethods = "GET, HEAD, OPTIONS, POST, PUT, PATCH, DELETE";
    private readonly RouteKeyScopeCache _scopes = new();

    public Task Invoke(HttpContext context)
    {
        var proxy = context.GetReverseProxyFeature();
        var scope = _scopes.Of(proxy.Route.Config);

        // (1) The method's case, first and on every route, Public ones too: "head" would be judged as a custom
        // method here and run as HEAD upstream, and Kestrel would frame the upstream's HEAD answer as a full one.
        if (!MethodRules.IsCaseValid(context.Request.Method))
        {
            return Refuse(context, Refusal.MethodCase(scope == RouteKeyScope.GraphQL ? "GET, POST" : EndpointMethods));
        }

        foreach (var header in MethodOverrideHeaders)
        {
            context.Request.Headers.Remove(header);
        }

        foreach (var header in PathOverrideHeaders)
        {
            context.Request.Headers.Remove(header);
        }

        if (scope == RouteKeyScope.Public)
        {
            PrepareForUpstream(context, proxy);
            return next(context);
        }

        if (scope == RouteKeyScope.Invalid)
        {
            // Unreachable while the route validator runs; deny by default all the same.
            return Refuse(context, Refusal.NotFound);
        }

        // (1) The path, and the endpoint id it names.
        if (!PathRules.IsSafe(context.Features.Get<IHttpRequestFeature>()?.RawTarget, context.Request.Path.Value))
        {
            return Refuse(context, Refusal.InvalidPath);
        }

        ScopeTarget target;
        if (scope == RouteKeyScope.Endpoint)
        {
            if (context.Request.RouteValues[RouteKeyScopes.EndpointIdRouteValue] is not string endpointId
                || !KeyFormat.IsValidEndpointId(endpointId))
            {
                return Refuse(context, Refusal.InvalidEndpointId);
            }

            target = ScopeTarget.Endpoint(endpointId);
        }
        else
        {
            target = ScopeTarget.GraphQLApi;
        }

        // (2) The key's presence and form: a malformed or mistyped key never reaches the store.
        var credential = CredentialExtractor.Extract(context.Request);
        if (credential.Status == CredentialStatus.Missing)
        {
            return Refuse(context, Refusal.MissingKey);
        }

        if (credential.Status == CredentialStatus.Ambiguous)
        {
            return RefuseFailedKey(context, Refusal.AmbiguousKey);
        }

        if (KeyFormat.Classify(credential.Key) == KeyForm.Invalid)
        {
            return RefuseFailedKey(context, Refusal.InvalidKey);
        }

        var digest = KeyDigest.Compute(credential.Key);
        if (keys.TryLookupInMemory(digest, out var known))
        {
            return Judge(context, proxy, scope, target, digest, known);
        }

        // An address over its failed-key limit is answered before any store lookup, so its guesses
        // cost no Redis call. Checked only on a memory miss: a key in memory costs no lookup, so it still passes.
        if (abuse.Keys.IsBlocked(context.Connection.RemoteIpAddress))
        {
            return Refuse(context, Refusal.TooManyFailedAttempts(abuse.Keys.RetryAfterSeconds));
        }

        return AwaitLookup(context, proxy, scope, target, digest, keys.LookupInStoreAsync(digest));
    }

    private async Task AwaitLookup(HttpContext context, IReverseProxyFeature proxy, RouteKeyScope scope, ScopeTarget target, KeyDigest digest, Task<KeyLookup> lookup) =>
        await Judge(context, proxy, scope, target, digest, await lookup.ConfigureAwait(false)).ConfigureAwait(false);

    private Task Judge(HttpContext context, IReverseProxyFeature proxy, RouteKeyScope scope, ScopeTarget target, KeyDigest digest, KeyLookup lookup)
    {
        // (2, continued) The key's existence.
        if (lookup.Status == LookupStatus.StoreUnavailable)
        {
            return Refuse(context, Refusal.StoreUnavailable(lookup.RetryAfterSeconds));
        }

        if (lookup.Key is not { } key)
        {
            return RefuseFailedKey(context, Refusal.InvalidKey);
        }

        GatewayTracing.KeyJudged(key.Id);

        // (3) The key's state.
        switch (KeyState.Check(key, time.GetUtcNow()))
        {
            case Verdict.Disabled:
                usage.Record(key, target, allowed: false);
                return Refuse(context, Refusal.KeyDisabled);
            case Verdict.Expired:
                usage.Record(key, target, allowed: false);
                return Refuse(context, Refusal.KeyExpired);
        }

        // (3, continued) The client address (contract §8): the peer, or what a configured proxy forwarded
        // (ClientAddresses/TrustedProxyMiddleware ran before this step). A key without a list pays this length check only.
        if (key.AllowedIps.Length != 0 && !AllowedIps.Allows(key.AllowedIps, context.Connection.RemoteIpAddress))
        {
            usage.Record(key, target, allowed: false);
            return Refuse(context, Refusal.IpNotAllowed);
        }

        if (scope == RouteKeyScope.GraphQL)
        {
            return GraphQLUpgradeRules.IsUpgrade(context)
                ? JudgeGraphQLUpgrade(context, proxy, key, digest)
                : JudgeGraphQL(context, proxy, key, digest);
        }

        // (5) The scope, for an endpoint: the method says how much is needed. An upgrade is a two-way tunnel that
        // can carry any request, so it needs readwrite, and it stays registered so a key change can close it.
        if (GraphQLUpgradeRules.IsUpgrade(context))
        {
            return Authorize(context, proxy, key, digest, target, AccessLevel.ReadWrite, Onward.Tunnel);
        }

        // A read method that carries a body needs readwrite, since an upstream that routes by path alone would act on
        // the body.
        var needed = ScopeDecision.NeededForMethod(context.Request.Method);
        if (needed == AccessLevel.Read && MethodRules.CarriesBody(context.Request))
        {
            needed = AccessLevel.ReadWrite;
        }

        return Authorize(context, proxy, key, digest, target, needed);
    }

    private Task Authorize(HttpContext context, IReverseProxyFeature proxy, ApiKey key, KeyDigest digest, ScopeTarget target, AccessLevel needed,
        Onward onward = Onward.Proxy, IReadOnlyCollection<GraphQLSubprotocol>? offered = null)
    {
        // (5) The scope.
        if (!ScopeDecision.Allows(key.Scopes, target, needed))
        {
            usage.Record(key, target, allowed: false);
            return Refuse(context, Refusal.ScopeDenied(
                target.IsGraphQL ? "graphql" : $"endpoint '{target.EndpointId}'",
                needed.ToWire(),
                ScopeDecision.Granted(key.Scopes, target).ToWire()));
        }

        // (6) The key's rate limits, last, so a refused request never spends one. A key without limits pays this length check only.
        if (key.RateLimits.Length != 0)
        {
            var decision = rateLimits.AcquireAsync(key);
            return decision.IsCompletedSuccessfully
                ? Forward(context, proxy, key, digest, target, decision.Result, onward, offered)
                : AwaitRateLimit(context, proxy, key, digest, target, decision, onward, offered);
        }

        return Forward(context, proxy, key, digest, target, RateLimitDecision.Admit, onward, offered);
    }

    private async Task AwaitRateLimit(HttpContext context, IReverseProxyFeature proxy, ApiKey key, KeyDigest digest, ScopeTarget target, ValueTask<RateLimitDecision> decision,
        Onward onward, IReadOnlyCollection<GraphQLSubprotocol>? offered) =>
        await Forward(context, proxy, key, digest, target, await decision.ConfigureAwait(false), onward, offered).ConfigureAwait(false);

    private Task Forward(HttpContext context, IReverseProxyFeature proxy, ApiKey key, KeyDigest digest, ScopeTarget target, RateLimitDecision decision,
        Onward onward, IReadOnlyCollection<GraphQLSubprotocol>? offered)
    {
        if (!decision.Admitted)
        {
            usage.RecordLimited(key, target);
            return Refuse(context, RateLimitRefusal.For(decision));
        }

        usage.Record(key, target, allowed: true);
        metrics.Allowed();
        GatewayTracing.Allowed();
        PrepareForUpstream(context, proxy, key);
        return onward switch
        {
            Onward.Tunnel => upgrades.TunnelAsync(context, key, digest, target, next),
            Onward.Relay => upgrades.RelayAsync(context, key, digest, offered!, next),
            _ => next(context),
        };
    }

    /// <summary>A failed key attempt counts against the client address; past the limit the answer is 429.</summary>
    private Task RefuseFailedKey(HttpContext context, Refusal refusal) =>
        abuse.Keys.TryCountFailure(context.Connection.RemoteIpAddress, out var retryAfter)
            ? Refuse(context, refusal)
            : Refuse(context, Refusal.TooManyFailedAttempts(retryAfter));

    private Task Refuse(HttpContext context, Refusal refusal)
    {
        metrics.Refused(refusal.Code);
        GatewayTracing.Refused(refusal.Code);
        return ProblemWriter.WriteAsync(context, refusal);
    }

    /// <summary>The client's credentials never reach an upstream; the cluster's own, when configured, replace them.</summary>
    private void PrepareForUpstream(HttpContext context, IReverseProxyFeature proxy, ApiKey? key = null)
    {
        var request = context.Request;
        request.Headers.Remove("Authorization");
        // Always, whatever the setting (any case, every copy): the client's own key-id header, which an upstream may trust
        // as the gateway's word, and its client-address headers: the gateway's X-Forwarded-For is the only word on that.
        ClientHeaderHygiene.RemoveFromClient(request.Headers);
        request.QueryString = CredentialExtractor.WithoutApiKey(request.QueryString);
        if (proxy.Cluster?.Config.ClusterId is not { } clusterId)
        {
            return;
        }

        if (upstreams.For(clusterId) is { } authorization)
        {
            request.Headers.Authorization = authorization;
        }

        if (key is not null && upstreams.ForwardsKeyId(clusterId))
        {
            request.Headers[UpstreamCredentials.KeyIdHeader] = key.Id;
        }
    }

    // Where an admitted request goes. A value, not a delegate: a lambda capturing the request's parameters would be
    // allocated on entry to Judge for every request, upgrade or not (the C# compiler hoists a parameter's closure to
    // the method's start).
    private enum Onward : byte
    {
        Proxy,
        Tunnel,
        Relay,
    }
}
