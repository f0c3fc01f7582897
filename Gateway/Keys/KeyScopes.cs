namespace Gateway.Keys;

/// <summary>
/// What a key may reach: a level for the GraphQL API and a map from endpoint id, or
/// <c>*</c> for every endpoint, to a level. Immutable; built once when a key enters the cache. L1 holds one per cached
/// key, so the map is an <see cref="EndpointLevels"/> (a small sorted array) and the common shapes are shared (<see cref="Of"/>).
/// </summary>
public sealed record KeyScopes
{
    public const string AnyEndpoint = "*";

    // Every graphql level with no endpoints ([level, 0]) or with {"*": level2} ([level, 1 + level2]): the shapes most
    // keys have (all, readonly, legacy, graphql only), shared by every key that has them.
    private static readonly KeyScopes[,] Shared = CreateShared();

    private readonly AccessLevel _graphQL;
    private readonly EndpointLevels _endpoints = EndpointLevels.Empty;

    public KeyScopes(AccessLevel GraphQL, IReadOnlyDictionary<string, AccessLevel> Endpoints)
    {
        this.GraphQL = GraphQL;
        this.Endpoints = Endpoints;
    }

    public static KeyScopes None => Shared[(int)AccessLevel.None, 0];

    /// <summary>Graphql readwrite, endpoints <c>{"*": "readwrite"}</c>: the scopes of <c>all</c>.</summary>
    public static KeyScopes All => Shared[(int)AccessLevel.ReadWrite, 1 + (int)AccessLevel.ReadWrite];

    /// <summary>Graphql read, endpoints <c>{"*": "read"}</c>: the scopes of <c>readonly</c>.</summary>
    public static KeyScopes ReadOnly => Shared[(int)AccessLevel.Read, 1 + (int)AccessLevel.Read];

    public AccessLevel GraphQL
    {
        get => _graphQL;
        init
        {
            if (!value.IsDefined())
            {
                throw new ArgumentOutOfRangeException(nameof(GraphQL), value, "Not a defined access level.");
            }

            _graphQL = value;
        }
    }

    /// <summary>An ordinal (case-sensitive) copy of the map given; later changes to that map do not show.</summary>
    public IReadOnlyDictionary<string, AccessLevel> Endpoints
    {
        get => _endpoints;
        init => _endpoints = EndpointLevels.From(value);
    }

    /// <summary><c>all</c>, <c>readonly</c> or <c>restricted</c>, derived for display (a constant: nothing to cache).</summary>
    public string Permission => Derive(_graphQL, _endpoints);

    /// <summary><c>Endpoints[id]</c> if present, else <c>Endpoints["*"]</c>, else none.</summary>
    public AccessLevel ForEndpoint(string endpointId)
    {
        ArgumentNullException.ThrowIfNull(endpointId);
        return _endpoints.ForEndpoint(endpointId);
    }

    /// <summary>The scopes every legacy key has: graphql as imported, every endpoint readwrite.</summary>
    public static KeyScopes ForLegacy(AccessLevel graphQL) => Of(graphQL, EndpointLevels.Any(AccessLevel.ReadWrite));

    /// <summary>
    /// These scopes, as the shared instance when they have a common shape (no endpoints, or only <c>*</c>), so a
    /// cache of many keys holds one copy of each shape; otherwise a new instance over <paramref name="endpoints"/>.
    /// </summary>
    public static KeyScopes Of(AccessLevel graphQL, EndpointLevels endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        if (graphQL.IsDefined())
        {
            if (endpoints.Count == 0)
            {
                return Shared[(int)graphQL, 0];
            }

            if (endpoints.Count == 1 && endpoints.Fallback is { } any)
            {
                return Shared[(int)graphQL, 1 + (int)any];
            }
        }

        return new(graphQL, endpoints);
    }

    public void Deconstruct(out AccessLevel GraphQL, out IReadOnlyDictionary<string, AccessLevel> Endpoints)
    {
        GraphQL = _graphQL;
        Endpoints = _endpoints;
    }

    // Records compare the dictionary by reference; scopes are equal when their contents are.
    public bool Equals(KeyScopes? other)
    {
        if (ReferenceEquals(this, other))
        {
            return true;
        }

        if (other is null || _graphQL != other._graphQL || _endpoints.Count != other._endpoints.Count)
        {
            return false;
        }

        foreach (var (endpoint, level) in _endpoints)
        {
            if (!other._endpoints.TryGetValue(endpoint, out var otherLevel) || level != otherLevel)
            {
                return false;
            }
        }

        return true;
    }

    public override int GetHashCode()
    {
        // Sum of per-entry hashes: independent of enumeration order, as equality is.
        var entries = 0;
        foreach (var (endpoint, level) in _endpoints)
        {
            entries += HashCode.Combine(StringComparer.Ordinal.GetHashCode(endpoint), level);
        }

        return HashCode.Combine(_graphQL, _endpoints.Count, entries);
    }

    private static KeyScopes[,] CreateShared()
    {
        var levels = new[] { AccessLevel.None, AccessLevel.Read, AccessLevel.ReadWrite };
        var shared = new KeyScopes[levels.Length, 1 + levels.Length];
        foreach (var graphQL in levels)
        {
            shared[(int)graphQL, 0] = new(graphQL, EndpointLevels.Empty);
            foreach (var any in levels)
            {
                shared[(int)graphQL, 1 + (int)any] = new(graphQL, EndpointLevels.Any(any));
            }
        }

        return shared;
    }

    private static string Derive(AccessLevel graphQL, EndpointLevels endpoints)
    {
        if (endpoints.Count == 1 && endpoints.Fallback is { } any && any == graphQL)
        {
            if (graphQL == AccessLevel.ReadWrite)
            {
                return KeyPermissions.All;
            }

            if (graphQL == AccessLevel.Read)
            {
                return KeyPermissions.ReadOnly;
            }
        }

        return KeyPermissions.Restricted;
    }
}

public static class KeyPermissions
{
    public const string All = "all";
    public const string ReadOnly = "readonly";
    public const string Restricted = "restricted";
}
