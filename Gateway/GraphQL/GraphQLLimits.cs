namespace Gateway.GraphQL;

/// <summary>
/// How much GraphQL one request may hold, so a hostile document is refused (400 <c>invalid_graphql</c>) before it
/// costs much CPU. Tokens and aliases are counted over every document of the request (a batch shares them); depth
/// is per document.
/// </summary>
/// <param name="MaxDepth">Most fields nested in one another, counted through fragment spreads.</param>
/// <param name="MaxTokens">Most lexical tokens (names, punctuation, values, comments) in all documents.</param>
/// <param name="MaxAliases">Most aliased fields written in all documents (each alias once, where it is written).</param>
public readonly record struct GraphQLLimits(int MaxDepth, int MaxTokens, int MaxAliases)
{
    // The standard introspection query nests 13 fields deep (graphql-js 16; 15 with a 9-level TypeRef) and holds
    // about 170 tokens and no alias; real application queries stay well inside all three.
    public const int DefaultMaxDepth = 20;
    public const int DefaultMaxTokens = 10_000;
    public const int DefaultMaxAliases = 1_000;

    public static GraphQLLimits Default => new(DefaultMaxDepth, DefaultMaxTokens, DefaultMaxAliases);
}

/// <summary>What is left of a request's <see cref="GraphQLLimits"/> while its documents are read.</summary>
/// <param name="inputLength">The length of what holds the documents (a body's bytes, a document's characters).</param>
/// <param name="accepted">Documents accepted before, answered without a parse; null: every document is parsed.</param>
internal struct GraphQLBudget(GraphQLLimits limits, int inputLength, AcceptedDocuments? accepted = null)
{
    public GraphQLLimits Limits { get; } = limits;

    public AcceptedDocuments? Accepted { get; } = accepted;

    // Every token is at least one character, and every character of a document (even an escaped one) comes from
    // at least one byte of the body, so an input no longer than the token limit cannot exceed it: tokens are then
    // not counted, which spares a lexing pass over every ordinary request.
    public bool CountsTokens { get; } = inputLength > limits.MaxTokens;

    public int Tokens = limits.MaxTokens;

    public int Aliases = limits.MaxAliases;
}
