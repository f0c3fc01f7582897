using System.Collections.Frozen;

namespace Gateway.Keys;

/// <summary>
/// What a key may reach: a level for the GraphQL API and a map from endpoint id, or
/// <c>*</c> for every endpoint, to a level. Immutable; built once when a key enters the cache.
/// </summary>
public sealed record KeyScopes
{
    public const string AnyEndpoint = "*";

    private static readonly FrozenDictionary<string, AccessLevel> NoEndpoints =
        FrozenDictionary<string, AccessLevel>.Empty;

    private readonly AccessLevel _graphQL;
    private readonly FrozenDictionary<string, AccessLevel> _endpoints = NoEndpoints;

    // Derived lazily and reset by the init accessors, so a `with` copy never carries a stale value.
    private string? _permission;

    public KeyScopes(AccessLevel GraphQL, IReadOnlyDictionary<string, AccessLevel> Endpoints)
    {
        this.GraphQL = GraphQL;
        this.Endpoints = Endpoints;
    }

    public static KeyScopes None { get; } = new(AccessLevel.None, NoEndpoints);

    /// <summary>Graphql readwrite, endpoints <c>{"*": "readwrite"}</c>: the scopes of <c>all</c>.</summary>
    public static KeyScopes All { get; } = Uniform(AccessLevel.ReadWrite);

    /// <summary>Graphql read, endpoints <c>{"*": "read"}</c>: the scopes of <c>readonly</c>.</summary>
    public static KeyScopes ReadOnly { get; } = Uniform(AccessLevel.Read);

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
            _permission = null;
        }
    }

    /// <summary>An ordinal (case-sensitive) copy of the map given; later changes to that map do not show.</summary>
    public IReadOnlyDictionary<string, AccessLevel> Endpoints
    {
        get => _endpoints;
        init
        {
            _endpoints = Freeze(value);
            _permission = null;
        }
    }

    /// <summary><c>all</c>, <c>readonly</c> or <c>restricted</c>, derived for display.</summary>
    public string Permission => _permission ??= Derive(_graphQL, _endpoints);

    /// <summary><c>Endpoints[id]</c> if present, else <c>Endpoints["*"]</c>, else none.</summary>
    public AccessLevel ForEndpoint(string endpointId)
    {
        ArgumentNullException.ThrowIfNull(endpointId);
        if (_endpoints.TryGetValue(endpointId, out var level) || _endpoints.TryGetValue(AnyEndpoint, out level))
        {
            return level;
        }

        return AccessLevel.None;
    }

    /// <summary>The scopes every legacy key has: graphql as imported, every endpoint readwrite.</summary>
    public static KeyScopes ForLegacy(AccessLevel graphQL) => new(graphQL, All._endpoints);

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

    private static KeyScopes Uniform(AccessLevel level) =>
        new(level, new Dictionary<string, AccessLevel>(StringComparer.Ordinal) { [AnyEndpoint] = level });

    private static FrozenDictionary<string, AccessLevel> Freeze(IReadOnlyDictionary<string, AccessLevel> endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        foreach (var (_, level) in endpoints)
        {
            if (!level.IsDefined())
            {
                throw new ArgumentOutOfRangeException(nameof(endpoints), level, "An endpoint has an undefined access level.");
            }
        }

        if (endpoints is FrozenDictionary<string, AccessLevel> frozen && ReferenceEquals(frozen.Comparer, StringComparer.Ordinal))
        {
            return frozen;
        }

        return endpoints.Count == 0 ? NoEndpoints : endpoints.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static string Derive(AccessLevel graphQL, FrozenDictionary<string, AccessLevel> endpoints)
    {
        if (endpoints.Count == 1 && endpoints.TryGetValue(AnyEndpoint, out var any) && any == graphQL)
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
