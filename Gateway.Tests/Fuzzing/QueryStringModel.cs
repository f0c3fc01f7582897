using CsCheck;

namespace Gateway.Tests.Fuzzing;

/// <summary>One name=value pair of a generated GraphQL query string, with what the model knows about it.</summary>
/// <param name="Raw">The pair exactly as sent.</param>
/// <param name="Allowed">The literal GraphQL parameter it is (query, operationName, ...), or null.</param>
/// <param name="IsApiKey">A spelling of api_key the gateway reads as the key (and removes).</param>
/// <param name="HoldsMutation">Its value, as the query parameter, would be a mutation.</param>
public sealed record QueryPair(string Raw, string? Allowed, bool IsApiKey, bool HoldsMutation);

/// <summary>A generated <c>GET /graphql?...</c> query string: its pairs and the separators between them.</summary>
public sealed record QueryStringCase(QueryPair[] Pairs, string[] Separators)
{
    public string Query => string.Concat(Pairs.Select((pair, i) => (i == 0 ? "" : Separators[i - 1]) + pair.Raw));

    public override string ToString() => "/graphql?" + Query;
}

/// <summary>
/// GraphQL GET query strings mixing the allowed parameters (once or repeated), the key's <c>api_key</c> (several
/// spellings of the same key), names parsers read differently (<c>query[]</c>, <c>%20query</c>, <c>+query</c>,
/// <c>Query</c>, <c>%71uery</c>, <c>query.</c>) and unknown ones, joined by <c>&amp;</c> or a raw <c>;</c>.
/// <see cref="Expected"/> is the gateway's verdict from the model alone.
/// </summary>
public static class QueryStringModel
{
    private static readonly string Read = Uri.EscapeDataString("{ myself { id } }");
    private static readonly string ReadWithSemicolon = Uri.EscapeDataString("{ myself { id } } # ; not a separator");
    private static readonly string Mutation = Uri.EscapeDataString("mutation { podStop { id } }");
    private static readonly string[] Others = ["operationName", "variables", "extensions"];
    private static readonly string[] Differing = ["query[]", "query%5B%5D", "%20query", "+query", "query+", "Query", "QUERY", "%71uery", "qu%65ry", "query.", "operationname", "x", "debug", "api_keys", ""];
    private static readonly string[] ApiKeyNames = ["api_key", "api_key", "API_KEY", "api%5Fkey", "Api_Key"];

    /// <summary>A pair; <paramref name="key"/> is the fixture's key, used in every api_key pair (so never ambiguous).</summary>
    public static Gen<QueryPair> Pair(string key) => Gen.Frequency<QueryPair>(
        (6, Gen.OneOf(Gen.Const(("query=" + Read, false)), Gen.Const(("query=" + ReadWithSemicolon, false)), Gen.Const(("query=" + Mutation, true)))
            .Select(p => new QueryPair(p.Item1, "query", false, p.Item2))),
        (4, Gen.Select(Gen.OneOf(Others), Gen.OneOf("A", "%7B%7D", "", "a%3Bb"), (name, value) => new QueryPair(name + "=" + value, name, false, false))),
        (2, Gen.OneOf(ApiKeyNames).Select(name => new QueryPair(name + "=" + key, null, true, false))),
        (3, Gen.Select(Gen.OneOf(Differing), Gen.OneOf(Read, Mutation), (name, value) => new QueryPair(name + "=" + value, null, false, value == Mutation))));

    public static Gen<QueryStringCase> Case(string key) =>
        from pairs in Pair(key).Array[1, 5]
        from separators in Gen.Frequency<string>((12, Gen.Const("&")), (1, Gen.Const(";")), (1, Gen.Const("&&"))).Array[4]
        select new QueryStringCase(pairs, separators);

    /// <summary>
    /// What the gateway must answer, from the model, in the order of the README's "How a request is judged": the key (ASP.NET Core splits on '&amp;'
    /// only, so "api_key=K;query=..." is a key other than K: ambiguous_key, check 2), then the query-string rule and
    /// GraphQL over GET (check 4).
    /// </summary>
    public static (int Status, string? Code) Expected(QueryStringCase @case, string key)
    {
        var query = @case.Query;
        foreach (var segment in query.Split('&'))
        {
            var name = ApiKeyNames.FirstOrDefault(n => segment.StartsWith(n + "=", StringComparison.OrdinalIgnoreCase));
            if (name is not null && segment[(name.Length + 1)..] != key)
            {
                return (400, "ambiguous_key");
            }
        }

        var allowed = @case.Pairs.Where(pair => pair.Allowed is not null).Select(pair => pair.Allowed).ToList();
        if (query.Contains(';')
            || @case.Pairs.Any(pair => pair.Allowed is null && !pair.IsApiKey)
            || allowed.Count != allowed.Distinct(StringComparer.Ordinal).Count())
        {
            return (400, "invalid_graphql");
        }

        var documents = @case.Pairs.Where(pair => pair.Allowed == "query").ToList();
        if (documents.Count == 0)
        {
            return (400, "invalid_graphql");
        }

        return documents[0].HoldsMutation ? (405, "method_not_allowed") : (200, null);
    }
}
