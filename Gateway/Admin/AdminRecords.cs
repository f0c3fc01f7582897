using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Gateway.Keys;
using Gateway.RateLimiting;

namespace Gateway.Admin;

// The admin API's bodies as records: what the serializer can check (types, nullability, required, unknown and repeated
// members) it checks; KeyRequests checks only what a type cannot say (trimmed names, lowercase levels, endpoint ids,
// an expiry in the future). Levels and times stay strings here: the serializer's enum and date readings are more
// lenient (any case, local time when no offset) than the admin API allows (README "Admin API").

/// <summary><c>POST /admin/keys</c>. <c>name</c> is checked by hand so that a missing one is named as <c>name</c>.</summary>
internal sealed record CreateKeyRequest(
    string? Name = null,
    bool Enabled = true,
    string Graphql = "none",
    Dictionary<string, string?>? Endpoints = null,
    string? ExpiresAt = null,
    List<RateLimitRequest?>? RateLimits = null,
    List<string?>? AllowedIps = null);

/// <summary>One of a key's <c>rateLimits</c> as sent; bounds are checked by hand so the 400 names <c>rateLimits</c>.</summary>
internal sealed record RateLimitRequest(long? Requests = null, long? WindowSeconds = null);

/// <summary><c>PATCH /admin/keys/{id}</c>: every member may be absent; only <c>expiresAt</c> may be null (never expires).</summary>
internal sealed record PatchKeyRequest
{
    [JsonConverter(typeof(OptionalConverter<string>))]
    public Optional<string> Name { get; init; }

    [JsonConverter(typeof(OptionalConverter<bool>))]
    public Optional<bool> Enabled { get; init; }

    [JsonConverter(typeof(OptionalConverter<string>))]
    public Optional<string> Graphql { get; init; }

    [JsonConverter(typeof(OptionalConverter<Dictionary<string, string?>>))]
    public Optional<Dictionary<string, string?>> Endpoints { get; init; }

    [JsonConverter(typeof(OptionalConverter<string>))]
    public Optional<string> ExpiresAt { get; init; }

    [JsonConverter(typeof(OptionalConverter<List<RateLimitRequest?>>))]
    public Optional<List<RateLimitRequest?>> RateLimits { get; init; }

    [JsonConverter(typeof(OptionalConverter<List<string?>>))]
    public Optional<List<string?>> AllowedIps { get; init; }
}

/// <summary><c>POST /admin/keys/legacy</c>.</summary>
internal sealed record LegacyImportRequest(IReadOnlyList<LegacyEntryRequest> Keys);

/// <summary><c>POST /admin/keys/revoke</c>: plaintexts a secret scanner found (never logged or echoed).</summary>
// Optional here so that a missing or null list is answered as 400 naming `keys` (AdminRevoke), like an empty one.
internal sealed record RevokeKeysRequest(IReadOnlyList<string>? Keys = null);

/// <summary>What <c>POST /admin/keys/revoke</c> disabled (or found disabled already), and how many plaintexts matched no key.</summary>
internal sealed record RevokeView(IReadOnlyList<KeyView> Revoked, int Unknown);

/// <summary><c>POST /admin/keys/{id}/roll</c>; an absent or empty body is the default (no grace).</summary>
internal sealed record RollKeyRequest(long GraceSeconds = 0);

/// <summary>One legacy key to import; all three members are required.</summary>
internal sealed record LegacyEntryRequest(string Key, string Name, string Graphql);

/// <summary>The admin API's view of a key: never the plaintext (except once, on create, as <see cref="Key"/>) and never its hash.</summary>
internal sealed record KeyView(
    string Id,
    string Name,
    string Kind,
    string Prefix,
    string Permission,
    string Graphql,
    Dictionary<string, string> Endpoints,
    bool Enabled,
    string CreatedAt,
    string? LastUsedAt,
    string? ExpiresAt,
    IReadOnlyList<RateLimitView> RateLimits,
    IReadOnlyList<string> AllowedIps)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyOrder(1)]
    public string? Key { get; init; }

    /// <summary>The key this one was rolled from (contract §8), null if none; after the constructor's members.</summary>
    public string? Replaces { get; init; }

    /// <summary>The key this one was rolled into, null if none.</summary>
    public string? ReplacedBy { get; init; }

    public static KeyView Of(ApiKey key, string? plaintext = null) => new(
        key.Id,
        key.Name,
        key.Kind.ToWire(),
        key.Prefix,
        key.Scopes.Permission,
        key.Scopes.GraphQL.ToWire(),
        // Ordinal order, so a view reads the same however the scopes were built.
        key.Scopes.Endpoints.OrderBy(e => e.Key, StringComparer.Ordinal).ToDictionary(e => e.Key, e => e.Value.ToWire(), StringComparer.Ordinal),
        key.Enabled,
        AdminTimes.Format(key.CreatedAt),
        AdminTimes.Format(key.LastUsedAt),
        AdminTimes.Format(key.ExpiresAt),
        [.. key.RateLimits.Select(r => new RateLimitView(r.Requests, r.WindowSeconds))],
        [.. key.AllowedIps.Select(Keys.AllowedIps.Format)])
    {
        Key = plaintext,
        Replaces = key.Replaces,
        ReplacedBy = key.ReplacedBy,
    };
}

/// <summary>One of a key's <c>rateLimits</c> in a view (contract §9).</summary>
internal sealed record RateLimitView(int Requests, int WindowSeconds);

/// <summary><c>GET /admin/keys</c>.</summary>
internal sealed record KeyListView(IReadOnlyList<KeyView> Keys, string? NextCursor);

/// <summary><c>POST /admin/keys/legacy</c>'s answer.</summary>
internal sealed record LegacyImportView(IReadOnlyList<KeyView> Imported, int Duplicates);

/// <summary><c>GET /admin/keys/{id}/usage</c>.</summary>
internal sealed record UsageView(string KeyId, string? LastUsedAt, IReadOnlyList<UsageDayView> Days);

internal sealed record UsageDayView(string Date, Dictionary<string, UsageCountsView> Targets);

internal sealed record UsageCountsView(long Allowed, long Denied, long Limited);

/// <summary><c>GET /admin/audit</c>: entries as the audit log stored them, newest first.</summary>
internal sealed record AuditView(IReadOnlyList<JsonNode> Entries);

/// <summary><c>GET /admin/whoami</c>: the credential a call was made with (<c>admin-token</c> for <c>Admin:Token</c>) and its role.</summary>
internal sealed record WhoAmIView(string Name, string Role);

/// <summary>A refusal as the CLI reads it (written by <see cref="Enforcement.ProblemWriter"/>).</summary>
internal sealed record ProblemView(string? Type, string? Title, int Status, string? Detail, string? Code);

/// <summary>Admin times: ISO 8601 UTC with milliseconds, ending in <c>Z</c>.</summary>
internal static class AdminTimes
{
    public static string Format(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);

    public static string? Format(DateTimeOffset? time) => time is { } t ? Format(t) : null;
}
