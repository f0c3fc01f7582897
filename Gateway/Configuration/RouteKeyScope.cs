using System.Runtime.CompilerServices;
using Yarp.ReverseProxy.Configuration;

namespace Gateway.Configuration;

/// <summary>What a route needs from a key, from its <c>Metadata:KeyScope</c>.</summary>
public enum RouteKeyScope : byte
{
    /// <summary>Unknown or missing: never served (deny by default).</summary>
    Invalid = 0,
    Endpoint,
    GraphQL,
    Public,
}

public static class RouteKeyScopes
{
    public const string MetadataKey = "KeyScope";
    public const string EndpointIdRouteValue = "endpointId";

    public static RouteKeyScope Parse(IReadOnlyDictionary<string, string>? metadata)
    {
        if (metadata is null || !metadata.TryGetValue(MetadataKey, out var value))
        {
            return RouteKeyScope.Invalid;
        }

        // Exact spelling only: a config typo must stop the start rather than change what a route needs.
        return value switch
        {
            "Endpoint" => RouteKeyScope.Endpoint,
            "GraphQL" => RouteKeyScope.GraphQL,
            "Public" => RouteKeyScope.Public,
            _ => RouteKeyScope.Invalid,
        };
    }

    public static RouteKeyScope Parse(RouteConfig route) => Parse(route.Metadata);
}

/// <summary>
/// Each route's scope, parsed once per <see cref="RouteConfig"/> object rather than on every request. A reload that
/// changes a route gives it a new <see cref="RouteConfig"/> (YARP keeps the old object only when the new one is equal to
/// it, metadata included), so a changed <c>KeyScope</c> is parsed afresh and never served from the old entry; an
/// entry goes when its config is collected.
/// </summary>
internal sealed class RouteKeyScopeCache
{
    // One shared value per scope: the table holds a reference per config, and a miss allocates only the table's entry.
    private static readonly Parsed[] ByScope = [.. Enum.GetValues<RouteKeyScope>().Select(scope => new Parsed(scope))];

    private readonly ConditionalWeakTable<RouteConfig, Parsed> _parsed = new();

    public RouteKeyScope Of(RouteConfig route) =>
        _parsed.TryGetValue(route, out var parsed)
            ? parsed.Scope
            : _parsed.GetValue(route, static r => ByScope[(int)RouteKeyScopes.Parse(r.Metadata)]).Scope;

    private sealed class Parsed(RouteKeyScope scope)
    {
        public RouteKeyScope Scope { get; } = scope;
    }
}
