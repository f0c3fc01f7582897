namespace Gateway.Tests.Enforcement;

/// <summary>A key level as the README's "How a request is judged" section names it; ordered so a comparison reads as "at least".</summary>
public enum Level
{
    None,
    Read,
    ReadWrite,
}

public enum KeyCondition
{
    Active,
    Disabled,
    Expired,
    Deleted,
}

/// <summary>Where the request carries its key (README: "How a request is judged").</summary>
public enum Placement
{
    BearerHeader,
    BareHeader,
    QueryParameter,
    LowerCaseBearer,
}

/// <summary>What a key is: its GraphQL level, its endpoint map, its state.</summary>
public sealed record KeyShape(string Name, Level GraphQL, IReadOnlyDictionary<string, Level> Endpoints, KeyCondition Condition, bool Legacy = false)
{
    /// <summary><c>endpoints[E]</c> if present, else <c>endpoints["*"]</c>, else <c>none</c>.</summary>
    public Level ForEndpoint(string id) =>
        Endpoints.TryGetValue(id, out var level) ? level : Endpoints.TryGetValue("*", out var any) ? any : Level.None;
}

/// <summary>
/// One kind of request. <see cref="EndpointId"/> is null for GraphQL. <see cref="Needs"/> is what the README's "How a request is judged" section
/// says the request needs; <see cref="BodyRefusal"/> is the refusal the body itself earns, whatever the key.
/// </summary>
public sealed record RequestKind(
    string Name,
    HttpMethod Method,
    string Path,
    string? EndpointId,
    Level Needs,
    string? ContentType = null,
    string? Body = null,
    (int Status, string Code)? BodyRefusal = null);

/// <summary>The expected outcome: forwarded (200 from the recording upstream), or refused with a status and code.</summary>
public sealed record Outcome(int Status, string? Code)
{
    public static readonly Outcome Forwarded = new(200, null);

    public bool IsForwarded => Code is null;

    public override string ToString() => IsForwarded ? "forwarded" : $"{Status} {Code}";
}

/// <summary>The scope matrix: key shapes, request kinds, placements, and the rules that join them.</summary>
public static class ScopeMatrixCases
{
    public const string RwEndpoint = "ep-rw";
    public const string NoneEndpoint = "ep-none";
    public const string OtherEndpoint = "ep-other";

    private static Dictionary<string, Level> Map(params (string Id, Level Level)[] entries) =>
        entries.ToDictionary(e => e.Id, e => e.Level, StringComparer.Ordinal);

    public static readonly KeyShape[] Shapes =
    [
        new("all", Level.ReadWrite, Map(("*", Level.ReadWrite)), KeyCondition.Active),
        new("readonly", Level.Read, Map(("*", Level.Read)), KeyCondition.Active),
        new("restricted", Level.Read, Map(("*", Level.Read), (RwEndpoint, Level.ReadWrite), (NoneEndpoint, Level.None)), KeyCondition.Active),
        new("graphql-none", Level.None, Map(), KeyCondition.Active),
        new("graphql-read", Level.Read, Map(("*", Level.None)), KeyCondition.Active),
        new("graphql-readwrite", Level.ReadWrite, Map(), KeyCondition.Active),
        // Legacy keys have endpoints {"*": "readwrite"} and the graphql level they were imported with.
        new("legacy-read", Level.Read, Map(("*", Level.ReadWrite)), KeyCondition.Active, Legacy: true),
        new("legacy-readwrite", Level.ReadWrite, Map(("*", Level.ReadWrite)), KeyCondition.Active, Legacy: true),
        // The three below would allow everything if they worked at all.
        new("disabled", Level.ReadWrite, Map(("*", Level.ReadWrite)), KeyCondition.Disabled),
        new("expired", Level.ReadWrite, Map(("*", Level.ReadWrite)), KeyCondition.Expired),
        new("deleted", Level.ReadWrite, Map(("*", Level.ReadWrite)), KeyCondition.Deleted),
    ];

    private const string Json = "application/json";
    private const string GraphQLDocument = "application/graphql";
    private const string QueryDoc = "query Me { myself { id } }";
    private const string MutationDoc = "mutation Stop { podStop(input: {podId: \"p1\"}) { id } }";

    public static readonly RequestKind[] Kinds = [.. EndpointKinds(), .. GraphQLKinds()];

    private static IEnumerable<RequestKind> EndpointKinds()
    {
        foreach (var id in new[] { RwEndpoint, NoneEndpoint, OtherEndpoint })
        {
            // GET, HEAD and OPTIONS need read; every other method needs readwrite.
            yield return new($"GET {id}", HttpMethod.Get, $"/v2/{id}/status/job-1", id, Level.Read);
            yield return new($"HEAD {id}", HttpMethod.Head, $"/v2/{id}/status/job-1", id, Level.Read);
            yield return new($"POST {id}", HttpMethod.Post, $"/v2/{id}/run", id, Level.ReadWrite, Json, "{\"input\":{\"prompt\":\"hi\"}}");
            yield return new($"DELETE {id}", HttpMethod.Delete, $"/v2/{id}/cancel/job-1", id, Level.ReadWrite);
        }
    }

    private static IEnumerable<RequestKind> GraphQLKinds()
    {
        // Query and subscription need read, mutation readwrite; a request needs its highest operation.
        yield return new("graphql POST json query", HttpMethod.Post, "/graphql", null, Level.Read, Json, JsonBody(QueryDoc));
        yield return new("graphql POST json mutation", HttpMethod.Post, "/graphql", null, Level.ReadWrite, Json, JsonBody(MutationDoc));
        yield return new("graphql POST json subscription", HttpMethod.Post, "/graphql", null, Level.Read, Json,
            JsonBody("subscription Events { podEvents { id } }"));
        yield return new("graphql POST json batch of queries", HttpMethod.Post, "/graphql", null, Level.Read, Json,
            $"[{JsonBody(QueryDoc)},{JsonBody("{ gpuTypes { id } }")}]");
        yield return new("graphql POST json batch with a mutation", HttpMethod.Post, "/graphql", null, Level.ReadWrite, Json,
            $"[{JsonBody(QueryDoc)},{JsonBody(MutationDoc)}]");
        yield return new("graphql GET query", HttpMethod.Get, "/graphql?query=" + Uri.EscapeDataString(QueryDoc), null, Level.Read);
        // A mutation over GET is refused (405); the body check (4) runs before the scope (5).
        yield return new("graphql GET mutation", HttpMethod.Get, "/graphql?query=" + Uri.EscapeDataString(MutationDoc), null, Level.ReadWrite,
            BodyRefusal: (405, "method_not_allowed"));
        yield return new("graphql POST application/graphql query", HttpMethod.Post, "/graphql", null, Level.Read, GraphQLDocument, QueryDoc);
        yield return new("graphql POST application/graphql mutation", HttpMethod.Post, "/graphql", null, Level.ReadWrite, GraphQLDocument, MutationDoc);
    }

    private static string JsonBody(string document) =>
        System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string> { ["query"] = document });

    /// <summary>
    /// In the order of the README's "How a request is judged": (2) existence: a deleted key is unknown, 401 invalid_key; (3) state: disabled, then
    /// expired, 403; (4) the GraphQL body; (5) the scope, 403 scope_denied when the key's level is below the need.
    /// The matrix has no path or key-form errors, so check (1) and the rest of (2) always pass.
    /// </summary>
    public static Outcome Expected(KeyShape shape, RequestKind kind)
    {
        switch (shape.Condition)
        {
            case KeyCondition.Deleted:
                return new(401, "invalid_key");
            case KeyCondition.Disabled:
                return new(403, "key_disabled");
            case KeyCondition.Expired:
                return new(403, "key_expired");
        }

        if (kind.BodyRefusal is { } refusal)
        {
            return new(refusal.Status, refusal.Code);
        }

        var granted = kind.EndpointId is { } id ? shape.ForEndpoint(id) : shape.GraphQL;
        return granted >= kind.Needs ? Outcome.Forwarded : new(403, "scope_denied");
    }

    public static KeyShape Shape(string name) => Shapes.Single(s => s.Name == name);

    public static RequestKind Kind(string name) => Kinds.Single(k => k.Name == name);

    public const string Separator = " | ";

    /// <summary>Every shape × kind × placement, named so a failure says which case it was.</summary>
    public static TheoryData<string> All()
    {
        var data = new TheoryData<string>();
        foreach (var shape in Shapes)
        {
            foreach (var kind in Kinds)
            {
                foreach (var placement in Enum.GetValues<Placement>())
                {
                    data.Add(string.Join(Separator, shape.Name, kind.Name, placement));
                }
            }
        }

        return data;
    }
}
