using Microsoft.AspNetCore.Routing.Patterns;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Configuration.RouteValidators;

namespace Gateway.Configuration;

/// <summary>
/// Joins YARP's own config validation: every route declares what it needs from a key. YARP collects the
/// errors of all routes, refuses to start on them, and on a reload keeps the last good config.
/// </summary>
internal sealed class KeyScopeRouteValidator : IRouteValidator
{
    public ValueTask ValidateAsync(RouteConfig routeConfig, IList<Exception> errors)
    {
        if (Problem(routeConfig.RouteId, routeConfig.Metadata, routeConfig.Match.Path) is { } problem)
        {
            errors.Add(new ArgumentException(problem));
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>What is wrong with a route's key scope, or <c>null</c>; also run on a reload before it is published.</summary>
    internal static string? Problem(string routeId, IReadOnlyDictionary<string, string>? metadata, string? path)
    {
        var scope = RouteKeyScopes.Parse(metadata);
        if (scope == RouteKeyScope.Invalid)
        {
            var found = metadata is not null && metadata.TryGetValue(RouteKeyScopes.MetadataKey, out var v)
                ? $"'{v}'"
                : "nothing";
            return $"Route '{routeId}' must declare Metadata:KeyScope as Endpoint, GraphQL or Public; found {found}.";
        }

        return scope == RouteKeyScope.Endpoint && !DeclaresEndpointId(path)
            ? $"Route '{routeId}' has KeyScope Endpoint but its path has no '{{{RouteKeyScopes.EndpointIdRouteValue}}}' route value."
            : null;
    }

    private static bool DeclaresEndpointId(string? path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return false;
        }

        try
        {
            var pattern = RoutePatternFactory.Parse(path);
            return pattern.GetParameter(RouteKeyScopes.EndpointIdRouteValue) is { IsCatchAll: false };
        }
        catch (RoutePatternException)
        {
            // YARP's own validator reports the malformed path; one error per cause is enough.
            return true;
        }
    }
}
