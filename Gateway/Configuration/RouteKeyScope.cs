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
