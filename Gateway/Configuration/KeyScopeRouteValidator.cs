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
        var scope = RouteKeyScopes.Parse(routeConfig);
        if (scope == RouteKeyScope.Invalid)
        {
            var found = routeConfig.Metadata is not null && routeConfig.Metadata.TryGetValue(RouteKeyScopes.MetadataKey, out var v)
                ? $"'{v}'"
                : "nothing";
            errors.Add(new ArgumentException(
                $"Route '{routeConfig.RouteId}' must declare Metadata:KeyScope as Endpoint, GraphQL or Public; found {found}."));
        }
        else if (scope == RouteKeyScope.Endpoint && !DeclaresEndpointId(routeConfig.Match.Path))
        {
            errors.Add(new ArgumentException(
                $"Route '{routeConfig.RouteId}' has KeyScope Endpoint but its path has no '{{{RouteKeyScopes.EndpointIdRouteValue}}}' route value."));
        }

        return ValueTask.CompletedTask;
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
