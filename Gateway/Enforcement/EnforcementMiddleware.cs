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
internal sealed class EnforcementMiddleware(
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

    public Task Invoke(HttpContext context)
    {
        var proxy = context.GetReverseProxyFeature();
        var scope = RouteKeyScopes.Parse(proxy.Route.Config.Metadata);

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
                usage.Record(key, digest, target, allowed: false);
                return Refuse(context, Refusal.KeyDisabled);
            case Verdict.Expired:
                usage.Record(key, digest, target, allowed: false);
                return Refuse(context, Refusal.KeyExpired);
        }

        // (3, continued) The client address (contract §8): the peer, or what a configured proxy forwarded
        // (ClientAddresses/TrustedProxyMiddleware ran before this step). A key without a list pays this length check only.
        if (key.AllowedIps.Length != 0 && !AllowedIps.Allows(key.AllowedIps, context.Connection.RemoteIpAddress))
        {
            usage.Record(key, digest, target, allowed: false);
            return Refuse(context, Refusal.IpNotAllowed);
        }

        if (scope == RouteKeyScope.GraphQL)
        {
            return GraphQLUpgradeRules.IsUpgrade(context)
                ? JudgeGraphQLUpgrade(context, proxy, key, digest)
                : JudgeGraphQLAsync(context, proxy, key, digest);
        }

        // (5) The scope, for an endpoint: the method says how much is needed. An upgrade is a two-way tunnel that
        // can carry any request, so it needs readwrite, and it stays registered so a key change can close it.
        if (GraphQLUpgradeRules.IsUpgrade(context))
        {
            return Authorize(context, proxy, key, digest, target, AccessLevel.ReadWrite, () => upgrades.TunnelAsync(context, key, digest, target, next));
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

    /// <summary>(4) and (5) for an upgrade on a GraphQL route: what is offered, then <c>read</c>; operations are judged per message.</summary>
    private Task JudgeGraphQLUpgrade(HttpContext context, IReverseProxyFeature proxy, ApiKey key, KeyDigest digest)
    {
        if (!upgrades.GraphQLJudged)
        {
            return Refuse(context, Refusal.MethodNotAllowed("WebSocket upgrades are turned off on GraphQL routes."));
        }

        var request = context.Request;
        var connect = context.Features.Get<IHttpExtendedConnectFeature>();
        var verdict = GraphQLUpgradeRules.Check(
            request.Headers.Upgrade.ToString(),
            connect?.IsExtendedConnect == true ? connect.Protocol ?? "" : null,
            request.QueryString.Value,
            request.Headers.SecWebSocketProtocol,
            out var offered);
        return verdict.IsRefused
            ? Refuse(context, Refusal.InvalidGraphQL(verdict.Detail))
            : Authorize(context, proxy, key, digest, ScopeTarget.GraphQLApi, AccessLevel.Read, () => upgrades.RelayAsync(context, key, digest, offered, next));
    }

    private async Task JudgeGraphQLAsync(HttpContext context, IReverseProxyFeature proxy, ApiKey key, KeyDigest digest)
    {
        // (4) The body: headers first, then the body within the limit, then the operations in it.
        var request = context.Request;
        if (QueryStringRefusal(context) is { } queryRefusal)
        {
            await Refuse(context, queryRefusal).ConfigureAwait(false);
            return;
        }

        var queryValues = request.Query["query"];
        var verdict = GraphQLHttpRules.CheckHeaders(request.Method, request.ContentType, request.Headers.ContentEncoding.ToString() is { Length: > 0 } encoding ? encoding : null, queryValues.ToArray());
        if (!verdict.IsRefused)
        {
            if (HttpMethods.IsGet(request.Method))
            {
                // The document of a GET is its URL. A body would reach the upstream unjudged and unbounded, and some
                // servers read one, so fails closed: a GET that carries a body is refused.
                verdict = context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody != false
                    ? GraphQLVerdict.Invalid("a GET request must not carry a body")
                    : GraphQLClassifier.ClassifyGet(queryValues.ToString(), limits.CurrentValue.GraphQLLimits, documents);
            }
            else
            {
                var (body, refusal) = await bodies.ReadAsync(request, context.RequestAborted).ConfigureAwait(false);
                if (body is null)
                {
                    // The rest of the body is never read: close the connection rather than let it go on sending.
                    context.Response.Headers.Connection = "close";
                    await Refuse(context, refusal!).ConfigureAwait(false);
                    return;
                }

                GraphQLBodyReader.Replace(context, body);
                verdict = GraphQLBodyClassification.Classify(body, GraphQLHttpRules.IsJson(request.ContentType!), limits.CurrentValue.GraphQLLimits, documents);
            }
        }

        if (verdict.IsRefused)
        {
            await Refuse(context, verdict.Refusal switch
            {
                GraphQLRefusal.MethodNotAllowed => Refusal.MethodNotAllowed(verdict.Detail),
                GraphQLRefusal.UnsupportedMediaType => Refusal.UnsupportedMediaType(verdict.Detail),
                _ => Refusal.InvalidGraphQL(verdict.Detail),
            }).ConfigureAwait(false);
            return;
        }

        var needed = verdict.Need == GraphQLNeed.ReadWrite ? AccessLevel.ReadWrite : AccessLevel.Read;
        await Authorize(context, proxy, key, digest, ScopeTarget.GraphQLApi, needed).ConfigureAwait(false);
    }

    /// <summary>
    /// The query string as received and as it will be forwarded, each held to the GraphQL parameters: they are the
    /// same string unless something rewrote it, and the upstream reads the latter.
    /// </summary>
    private static Refusal? QueryStringRefusal(HttpContext context)
    {
        var rawTarget = (context.Features.Get<IHttpRequestFeature>()?.RawTarget).AsSpan();
        var question = rawTarget.IndexOf('?');
        var rawQuery = question < 0 ? default : rawTarget[question..];
        var fragment = rawQuery.IndexOf('#');
        var detail = GraphQLQueryString.Check(fragment < 0 ? rawQuery : rawQuery[..fragment], CredentialExtractor.IsApiKeyName)
            ?? GraphQLQueryString.Check(context.Request.QueryString.Value, CredentialExtractor.IsApiKeyName);
        return detail is null ? null : Refusal.InvalidGraphQL(detail);
    }

    private Task Authorize(HttpContext context, IReverseProxyFeature proxy, ApiKey key, KeyDigest digest, ScopeTarget target, AccessLevel needed, Func<Task>? forward = null)
    {
        // (5) The scope.
        if (!ScopeDecision.Allows(key.Scopes, target, needed))
        {
            usage.Record(key, digest, target, allowed: false);
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
                ? Forward(context, proxy, key, digest, target, decision.Result, forward)
                : AwaitRateLimit(context, proxy, key, digest, target, decision, forward);
        }

        return Forward(context, proxy, key, digest, target, RateLimitDecision.Admit, forward);
    }

    private async Task AwaitRateLimit(HttpContext context, IReverseProxyFeature proxy, ApiKey key, KeyDigest digest, ScopeTarget target, ValueTask<RateLimitDecision> decision, Func<Task>? forward) =>
        await Forward(context, proxy, key, digest, target, await decision.ConfigureAwait(false), forward).ConfigureAwait(false);

    private Task Forward(HttpContext context, IReverseProxyFeature proxy, ApiKey key, KeyDigest digest, ScopeTarget target, RateLimitDecision decision, Func<Task>? forward)
    {
        if (!decision.Admitted)
        {
            usage.RecordLimited(key, digest, target);
            return Refuse(context, RateLimitRefusal.For(decision));
        }

        usage.Record(key, digest, target, allowed: true);
        metrics.Allowed();
        GatewayTracing.Allowed();
        PrepareForUpstream(context, proxy, key);
        return forward is null ? next(context) : forward();
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
        // Always, whatever the setting (any case, every copy): an upstream may trust this header as the gateway's word.
        UpstreamCredentials.RemoveClientKeyId(request.Headers);
        // Nor may it tell the upstream its address: the gateway's X-Forwarded-For is the only word on that.
        ClientAddresses.ClientAddressHeaders.RemoveFromClient(request.Headers);
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
}
