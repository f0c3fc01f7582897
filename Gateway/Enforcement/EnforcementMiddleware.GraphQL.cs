using Gateway.GraphQL;
using Gateway.Keys;
using Gateway.WebSockets;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;
using Yarp.ReverseProxy.Model;

namespace Gateway.Enforcement;

/// <summary>
/// Step (4) on GraphQL routes: the URL and headers, then the body within its limits, then the operations in it. Not
/// async: a body already in Kestrel's buffer is judged without an await and the request goes on as <c>next</c>'s own
/// task, so a GraphQL POST costs no state machine (STYLE.md, rule 4); only a body still arriving awaits.
/// </summary>
internal sealed partial class EnforcementMiddleware
{
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
            : Authorize(context, proxy, key, digest, ScopeTarget.GraphQLApi, AccessLevel.Read, Onward.Relay, offered);
    }

    private Task JudgeGraphQL(HttpContext context, IReverseProxyFeature proxy, ApiKey key, KeyDigest digest)
    {
        // (4) The body: headers first, then the body within the limit, then the operations in it.
        var request = context.Request;
        if (QueryStringRefusal(context) is { } queryRefusal)
        {
            return Refuse(context, queryRefusal);
        }

        // An empty query string holds no query parameter; only a URL that has one is parsed (HttpRequest.Query makes a
        // feature and a collection per request, which a POST without a query string does not need).
        var queryValues = request.QueryString.HasValue ? request.Query["query"] : StringValues.Empty;
        var verdict = GraphQLHttpRules.CheckHeaders(request.Method, request.ContentType, request.Headers.ContentEncoding.ToString() is { Length: > 0 } encoding ? encoding : null, queryValues.ToArray());
        if (verdict.IsRefused)
        {
            return JudgeGraphQLVerdict(context, proxy, key, digest, verdict);
        }

        if (HttpMethods.IsGet(request.Method))
        {
            // The document of a GET is its URL. A body would reach the upstream unjudged and unbounded, and some
            // servers read one, so fails closed: a GET that carries a body is refused.
            verdict = context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody != false
                ? GraphQLVerdict.Invalid("a GET request must not carry a body")
                : GraphQLClassifier.ClassifyGet(queryValues.ToString(), limits.CurrentValue.GraphQLLimits, documents);
            return JudgeGraphQLVerdict(context, proxy, key, digest, verdict);
        }

        var read = bodies.ReadAsync(request, context.RequestAborted);
        return read.IsCompletedSuccessfully
            ? JudgeGraphQLBody(context, proxy, key, digest, read.Result)
            : AwaitGraphQLBody(context, proxy, key, digest, read);
    }

    private async Task AwaitGraphQLBody(HttpContext context, IReverseProxyFeature proxy, ApiKey key, KeyDigest digest, ValueTask<BodyRead> read) =>
        await JudgeGraphQLBody(context, proxy, key, digest, await read.ConfigureAwait(false)).ConfigureAwait(false);

    private Task JudgeGraphQLBody(HttpContext context, IReverseProxyFeature proxy, ApiKey key, KeyDigest digest, BodyRead read)
    {
        var (body, refusal) = read;
        if (body is null)
        {
            // The rest of the body is never read: close the connection rather than let it go on sending.
            context.Response.Headers.Connection = "close";
            return Refuse(context, refusal!);
        }

        GraphQLBodyReader.Replace(context, body);
        var request = context.Request;
        var verdict = GraphQLBodyClassification.Classify(body, GraphQLHttpRules.IsJson(request.ContentType!), limits.CurrentValue.GraphQLLimits, documents);
        return JudgeGraphQLVerdict(context, proxy, key, digest, verdict);
    }

    private Task JudgeGraphQLVerdict(HttpContext context, IReverseProxyFeature proxy, ApiKey key, KeyDigest digest, GraphQLVerdict verdict)
    {
        if (verdict.IsRefused)
        {
            return Refuse(context, verdict.Refusal switch
            {
                GraphQLRefusal.MethodNotAllowed => Refusal.MethodNotAllowed(verdict.Detail),
                GraphQLRefusal.UnsupportedMediaType => Refusal.UnsupportedMediaType(verdict.Detail),
                _ => Refusal.InvalidGraphQL(verdict.Detail),
            });
        }

        var needed = verdict.Need == GraphQLNeed.ReadWrite ? AccessLevel.ReadWrite : AccessLevel.Read;
        return Authorize(context, proxy, key, digest, ScopeTarget.GraphQLApi, needed);
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
}
