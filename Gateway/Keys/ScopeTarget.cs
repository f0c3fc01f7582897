namespace Gateway.Keys;

/// <summary>What a request reaches: the GraphQL API or one endpoint.</summary>
public readonly record struct ScopeTarget(bool IsGraphQL, string? EndpointId)
{
    public const string GraphQLName = "graphql";
    public const string EndpointPrefix = "endpoint:";

    public static readonly ScopeTarget GraphQLApi = new(true, null);

    public static ScopeTarget Endpoint(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        return new(false, id);
    }

    /// <summary><c>graphql</c> or <c>endpoint:&lt;id&gt;</c>, as in usage counters and scope_denied details.</summary>
    public override string ToString() => IsGraphQL ? GraphQLName : EndpointPrefix + EndpointId;
}
