using Gateway.GraphQL;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;

namespace Gateway.WebSockets;

/// <summary>What the gateway accepts of an upgrade before anything is forwarded (README, "Upgrades and WebSockets"). Pure.</summary>
public static class GraphQLUpgradeRules
{
    public const string TransportWs = "graphql-transport-ws";
    public const string LegacyWs = "graphql-ws";

    /// <summary>An HTTP/1.1 <c>Connection: Upgrade</c> Kestrel will honour, or an HTTP/2 extended CONNECT.</summary>
    public static bool IsUpgrade(HttpContext context) =>
        context.Features.Get<IHttpUpgradeFeature>()?.IsUpgradableRequest == true
        || context.Features.Get<IHttpExtendedConnectFeature>()?.IsExtendedConnect == true;

    /// <summary>Subprotocol tokens compare exactly (RFC 6455 §4.1): <c>GraphQL-WS</c> is not <c>graphql-ws</c>.</summary>
    public static bool TryParseSubprotocol(string? value, out GraphQLSubprotocol protocol)
    {
        protocol = value switch
        {
            TransportWs => GraphQLSubprotocol.TransportWs,
            LegacyWs => GraphQLSubprotocol.LegacyWs,
            _ => (GraphQLSubprotocol)255,
        };
        return (byte)protocol != 255;
    }

    /// <summary>
    /// Checks a GraphQL route's upgrade: a WebSocket, a query string of <c>api_key</c> only, and subprotocols all of
    /// which the relay understands (at least one). Returns the offered subprotocols, or a refusal detail.
    /// </summary>
    public static GraphQLVerdict Check(string? upgradeHeader, string? connectProtocol, string? rawQuery, StringValues offeredProtocols, out List<GraphQLSubprotocol> offered)
    {
        offered = [];
        var isWebSocket = connectProtocol is not null
            ? string.Equals(connectProtocol, "websocket", StringComparison.OrdinalIgnoreCase)
            : string.Equals(upgradeHeader?.Trim(), "websocket", StringComparison.OrdinalIgnoreCase);
        if (!isWebSocket)
        {
            return GraphQLVerdict.Invalid("only WebSocket upgrades are accepted on GraphQL routes");
        }

        if (!QueryHoldsOnlyApiKey(rawQuery))
        {
            // A document in the URL of an upgrade would be judged as one thing and run, if at all, as another.
            return GraphQLVerdict.Invalid("the query string of a WebSocket upgrade may hold only api_key");
        }

        foreach (var header in offeredProtocols)
        {
            foreach (var token in (header ?? "").Split(','))
            {
                if (!TryParseSubprotocol(token.Trim(' ', '\t'), out var protocol))
                {
                    return GraphQLVerdict.Invalid($"WebSocket subprotocol '{GraphQLVerdict.Echo(token.Trim(' ', '\t'))}' is not accepted; offer graphql-transport-ws or graphql-ws");
                }

                if (!offered.Contains(protocol))
                {
                    offered.Add(protocol);
                }
            }
        }

        return offered.Count == 0
            ? GraphQLVerdict.Invalid("a WebSocket upgrade on a GraphQL route must offer graphql-transport-ws or graphql-ws")
            : GraphQLVerdict.Allow(GraphQLNeed.Read);
    }

    /// <summary>Every parameter is <c>api_key=...</c>, named exactly so (not encoded), with no <c>;</c> anywhere.</summary>
    internal static bool QueryHoldsOnlyApiKey(string? rawQuery)
    {
        if (string.IsNullOrEmpty(rawQuery) || rawQuery == "?")
        {
            return true;
        }

        var query = rawQuery.AsSpan(rawQuery[0] == '?' ? 1 : 0);
        if (query.Contains(';'))
        {
            return false;
        }

        foreach (var range in query.Split('&'))
        {
            var part = query[range];
            if (!part.StartsWith("api_key=", StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }
}
