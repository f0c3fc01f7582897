using System.ComponentModel.DataAnnotations;
using Gateway.GraphQL;

namespace Gateway.Enforcement;

/// <summary><c>KeyScopes</c>: limits of the enforcement step.</summary>
public sealed class KeyScopesOptions
{
    public const string Section = "KeyScopes";

    [Range(1, 64 * 1024 * 1024)]
    public int MaxGraphQLBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Most bytes of GraphQL bodies held at once, over every request; past it a request is 503 <c>overloaded</c>.</summary>
    [Range(1, long.MaxValue)]
    public long MaxBufferedGraphQLBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>How long a GraphQL body may take to arrive, from when the gateway starts reading it; then 408 <c>body_timeout</c>.</summary>
    public TimeSpan GraphQLBodyTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Most fields nested in one another in a GraphQL document, counted through fragment spreads.</summary>
    // Past about 60 the parser's own nesting limit (GraphQLClassifier.MaxDocumentDepth) answers first.
    [Range(1, 60)]
    public int MaxGraphQLDepth { get; set; } = GraphQLLimits.DefaultMaxDepth;

    /// <summary>Most lexical tokens in the GraphQL documents of one request (a batch shares them).</summary>
    [Range(1, 10_000_000)]
    public int MaxGraphQLTokens { get; set; } = GraphQLLimits.DefaultMaxTokens;

    /// <summary>Most aliases in the GraphQL documents of one request (a batch shares them).</summary>
    [Range(0, 10_000_000)]
    public int MaxGraphQLAliases { get; set; } = GraphQLLimits.DefaultMaxAliases;

    public const string GraphQLWebSocketsJudged = "judged";
    public const string GraphQLWebSocketsRefuse = "refuse";

    /// <summary>
    /// Upgrades on GraphQL routes: <c>judged</c> relays graphql-transport-ws and graphql-ws message by message,
    /// judging every operation; <c>refuse</c> answers them 405.
    /// </summary>
    [AllowedValues(GraphQLWebSocketsJudged, GraphQLWebSocketsRefuse)]
    public string GraphQLWebSockets { get; set; } = GraphQLWebSocketsJudged;

    public GraphQLLimits GraphQLLimits => new(MaxGraphQLDepth, MaxGraphQLTokens, MaxGraphQLAliases);
}
