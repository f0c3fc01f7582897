using System.Globalization;
using Gateway.Enforcement;
using Gateway.Keys;
using Gateway.RateLimiting;

namespace Gateway.Admin;

/// <summary>What a create or PATCH asks to change; <c>null</c> members were not given.</summary>
internal sealed record KeyChanges(
    string? Name,
    bool? Enabled,
    AccessLevel? GraphQL,
    IReadOnlyDictionary<string, AccessLevel>? Endpoints,
    bool ExpiresAtGiven,
    DateTimeOffset? ExpiresAt)
{
    /// <summary>The key's new limits (contract §9); <c>[]</c> removes them, null leaves them.</summary>
    public RateLimitRule[]? RateLimits { get; init; }

    /// <summary>The key's new client-address blocks (contract §8); <c>[]</c> removes the restriction, null leaves it.</summary>
    public System.Net.IPNetwork[]? AllowedIps { get; init; }
}

internal sealed record LegacyEntry(string Key, string Name, AccessLevel GraphQL);

/// <summary>
/// Checks what the <see cref="AdminJsonContext"/> records cannot say (read by <see cref="AdminBody"/>). Every problem is a
/// 400 naming the field, as <c>field: problem</c>.
/// </summary>
internal static class KeyRequests
{
    public const int MaxBodyBytes = 4 * 1024 * 1024;
    public const int MaxDepth = 16;
    public const int MaxNameLength = 64;
    public const int MaxEndpointEntries = 1000;
    public const int MaxLegacyEntries = 10_000;

    public static Refusal? ValidateCreate(CreateKeyRequest body, DateTimeOffset now, out KeyChanges changes)
    {
        changes = new KeyChanges(null, null, null, null, false, null);
        if (body.Name is null)
        {
            return AdminRefusals.InvalidField("name", "is required");
        }

        if (CheckName(body.Name, "name", out var name) is { } nameError)
        {
            return nameError;
        }

        if (!AccessLevels.TryParse(body.Graphql, out var graphql))
        {
            return AdminRefusals.InvalidField("graphql", "must be one of none, read, readwrite");
        }

        IReadOnlyDictionary<string, AccessLevel>? endpoints = null;
        if (body.Endpoints is not null && CheckEndpoints(body.Endpoints, out endpoints) is { } endpointsError)
        {
            return endpointsError;
        }

        DateTimeOffset? expiresAt = null;
        if (body.ExpiresAt is not null && CheckExpiry(body.ExpiresAt, now, out expiresAt) is { } expiryError)
        {
            return expiryError;
        }

        RateLimitRule[]? rateLimits = null;
        if (body.RateLimits is not null && CheckRateLimits(body.RateLimits, out rateLimits) is { } limitsError)
        {
            return limitsError;
        }

        System.Net.IPNetwork[]? allowedIps = null;
        if (body.AllowedIps is not null && CheckAllowedIps(body.AllowedIps, out allowedIps) is { } allowedIpsError)
        {
            return allowedIpsError;
        }

        changes = new KeyChanges(name, body.Enabled, graphql, endpoints, body.ExpiresAt is not null, expiresAt) { RateLimits = rateLimits, AllowedIps = allowedIps };
        return null;
    }

    public static Refusal? ValidatePatch(PatchKeyRequest body, DateTimeOffset now, out KeyChanges changes)
    {
        changes = new KeyChanges(null, null, null, null, false, null);
        // Null means "remove" in a PATCH; only an expiry can be removed (never expires). The rest are refused, not ignored.
        foreach (var (field, isNull) in new[]
        {
            ("name", body.Name.IsNull), ("enabled", body.Enabled.IsNull), ("graphql", body.Graphql.IsNull), ("endpoints", body.Endpoints.IsNull), ("rateLimits", body.RateLimits.IsNull),
            ("allowedIps", body.AllowedIps.IsNull),
        })
        {
            if (isNull)
            {
                return AdminRefusals.InvalidField(field, "cannot be null");
            }
        }

        string? name = null;
        if (body.Name.IsGiven && CheckName(body.Name.Value!, "name", out name) is { } nameError)
        {
            return nameError;
        }

        AccessLevel? graphql = null;
        if (body.Graphql.IsGiven)
        {
            if (!AccessLevels.TryParse(body.Graphql.Value, out var level))
            {
                return AdminRefusals.InvalidField("graphql", "must be one of none, read, readwrite");
            }

            graphql = level;
        }

        IReadOnlyDictionary<string, AccessLevel>? endpoints = null;
        if (body.Endpoints.IsGiven && CheckEndpoints(body.Endpoints.Value!, out endpoints) is { } endpointsError)
        {
            return endpointsError;
        }

        DateTimeOffset? expiresAt = null;
        if (body.ExpiresAt is { IsGiven: true, IsNull: false } && CheckExpiry(body.ExpiresAt.Value!, now, out expiresAt) is { } expiryError)
        {
            return expiryError;
        }

        RateLimitRule[]? rateLimits = null;
        if (body.RateLimits.IsGiven && CheckRateLimits(body.RateLimits.Value!, out rateLimits) is { } limitsError)
        {
            return limitsError;
        }

        System.Net.IPNetwork[]? allowedIps = null;
        if (body.AllowedIps.IsGiven && CheckAllowedIps(body.AllowedIps.Value!, out allowedIps) is { } allowedIpsError)
        {
            return allowedIpsError;
        }

        changes = new KeyChanges(name, body.Enabled.IsGiven ? body.Enabled.Value : null, graphql, endpoints, body.ExpiresAt.IsGiven, expiresAt)
        {
            RateLimits = rateLimits,
            AllowedIps = allowedIps,
        };
        return null;
    }

    public static Refusal? ValidateLegacyImport(LegacyImportRequest body, out List<LegacyEntry> entries)
    {
        entries = [];
        if (body.Keys.Count > MaxLegacyEntries)
        {
            return AdminRefusals.InvalidField("keys", $"at most {MaxLegacyEntries} entries per call");
        }

        for (var index = 0; index < body.Keys.Count; index++)
        {
            var at = $"keys[{index}]";
            var item = body.Keys[index];
            if (item is null)
            {
                return AdminRefusals.InvalidField(at, "must be an object");
            }

            // The key is never echoed: only where it is and what is wrong with it.
            if (KeyFormat.Classify(item.Key) != KeyForm.Legacy)
            {
                return AdminRefusals.InvalidField($"{at}.key", "must be 16 to 256 printable ASCII characters without spaces, not an rpa_ key");
            }

            if (CheckName(item.Name, $"{at}.name", out var name) is { } nameError)
            {
                return nameError;
            }

            if (!AccessLevels.TryParse(item.Graphql, out var graphql) || graphql == AccessLevel.None)
            {
                return AdminRefusals.InvalidField($"{at}.graphql", "must be read or readwrite");
            }

            entries.Add(new LegacyEntry(item.Key, name, graphql));
        }

        return null;
    }

    private static Refusal? CheckName(string given, string field, out string name)
    {
        name = given.Trim();
        if (name.Length == 0 || name.Length > MaxNameLength)
        {
            return AdminRefusals.InvalidField(field, $"must be 1 to {MaxNameLength} characters after trimming");
        }

        if (name.Any(char.IsControl))
        {
            return AdminRefusals.InvalidField(field, "must not hold control characters");
        }

        return null;
    }

    private static Refusal? CheckEndpoints(Dictionary<string, string?> given, out IReadOnlyDictionary<string, AccessLevel>? endpoints)
    {
        endpoints = null;
        if (given.Count > MaxEndpointEntries)
        {
            return AdminRefusals.InvalidField("endpoints", $"at most {MaxEndpointEntries} entries");
        }

        // A dictionary's values are outside what RespectNullableAnnotations checks, so a null level is caught here.
        if (given.FirstOrDefault(e => e.Value is null) is { Key: { } nullLevel })
        {
            return AdminRefusals.InvalidField($"endpoints[\"{Safe(nullLevel)}\"]", "must be one of none, read, readwrite");
        }

        if (!ScopeValidation.TryParseEndpoints(given!, out var parsed, out var error))
        {
            return AdminRefusals.InvalidField("endpoints", error ?? "is invalid");
        }

        endpoints = parsed;
        return null;
    }

    private static Refusal? CheckExpiry(string given, DateTimeOffset now, out DateTimeOffset? expiresAt)
    {
        expiresAt = null;
        if (!DateTimeOffset.TryParse(given, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var expires))
        {
            return AdminRefusals.InvalidField("expiresAt", "must be an ISO 8601 time or null");
        }

        if (expires <= now)
        {
            return AdminRefusals.InvalidField("expiresAt", "must be in the future (to stop a key now, disable it)");
        }

        expiresAt = expires;
        return null;
    }

    // Client input is echoed only in short, printable form.
    internal static string Safe(string text)
    {
        var cut = text.Length > 64 ? text[..64] : text;
        return string.Concat(cut.Select(c => char.IsControl(c) ? '?' : c));
    }

    private static Refusal? CheckRateLimits(List<RateLimitRequest?> given, out RateLimitRule[]? rules)
    {
        rules = null;
        if (given.Count > RateLimitRule.MaxRules)
        {
            return AdminRefusals.InvalidField("rateLimits", $"at most {RateLimitRule.MaxRules} limits");
        }

        var parsed = new List<RateLimitRule>(given.Count);
        foreach (var item in given)
        {
            if (item is not { Requests: { } requests, WindowSeconds: { } window })
            {
                return AdminRefusals.InvalidField("rateLimits", "each limit needs requests and windowSeconds");
            }

            if (requests is < 1 or > RateLimitRule.MaxRequests || window is < 1 or > RateLimitRule.MaxWindowSeconds)
            {
                return AdminRefusals.InvalidField("rateLimits",
                    $"requests must be 1 to {RateLimitRule.MaxRequests} and windowSeconds 1 to {RateLimitRule.MaxWindowSeconds}");
            }

            parsed.Add(new RateLimitRule((int)requests, (int)window));
        }

        if (RateLimitRule.Validate(parsed) is { } problem)
        {
            return AdminRefusals.InvalidField("rateLimits", problem);
        }

        rules = [.. parsed.OrderBy(r => r.WindowSeconds)];
        return null;
    }

    private static Refusal? CheckAllowedIps(List<string?> given, out System.Net.IPNetwork[]? blocks)
    {
        var problem = AllowedIps.TryParse(given, out var parsed);
        blocks = problem is null ? parsed : null;
        return problem is null ? null : AdminRefusals.InvalidField("allowedIps", problem);
    }
}
