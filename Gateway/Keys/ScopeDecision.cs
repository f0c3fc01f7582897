namespace Gateway.Keys;

public static class ScopeDecision
{
    public static AccessLevel Granted(KeyScopes scopes, ScopeTarget target)
    {
        ArgumentNullException.ThrowIfNull(scopes);
        if (target.IsGraphQL)
        {
            return scopes.GraphQL;
        }

        // Fails closed: a target that is not a valid endpoint id (including default(ScopeTarget))
        // reaches nothing, even if "*" would match it.
        return target.EndpointId is { } id && KeyFormat.IsValidEndpointId(id)
            ? scopes.ForEndpoint(id)
            : AccessLevel.None;
    }

    public static bool Allows(KeyScopes scopes, ScopeTarget target, AccessLevel needed)
    {
        if (needed == AccessLevel.None)
        {
            return true;
        }

        var granted = Granted(scopes, target);

        // Spelled out rather than `granted >= needed` so an undefined level never grants anything.
        return needed switch
        {
            AccessLevel.Read => granted is AccessLevel.Read or AccessLevel.ReadWrite,
            AccessLevel.ReadWrite => granted is AccessLevel.ReadWrite,
            _ => false,
        };
    }

    /// <summary>GET, HEAD and OPTIONS read; every other method, known or not, writes.</summary>
    public static AccessLevel NeededForMethod(string httpMethod)
    {
        ArgumentNullException.ThrowIfNull(httpMethod);
        return HttpMethods.IsGet(httpMethod) || HttpMethods.IsHead(httpMethod) || HttpMethods.IsOptions(httpMethod)
            ? AccessLevel.Read
            : AccessLevel.ReadWrite;
    }
}
