using System.Net;
using Gateway.RateLimiting;

namespace Gateway.Keys;

/// <summary>
/// A key as the gateway knows it. Holds no secret: the plaintext is never kept, and
/// <see cref="Prefix"/> is the first 8 characters, kept for display.
/// </summary>
public sealed record ApiKey(
    string Id,
    string Name,
    KeyKind Kind,
    string Prefix,
    bool Enabled,
    DateTimeOffset CreatedAt,
    DateTimeOffset? LastUsedAt,
    DateTimeOffset? ExpiresAt,
    KeyScopes Scopes)
{
    /// <summary>
    /// The version of the key's settings in the store: 1 on create, one more on every admin change, 0 for a record
    /// written before versions existed. <see cref="LastUsedAt"/> is usage, not a setting, and does not move it.
    /// </summary>
    public long Version { get; init; }

    /// <summary>
    /// The key's limits (contract §9), empty for none: the request path tests only the length, so a key without limits
    /// costs nothing more. The limiter keeps its state while the limits stay equal.
    /// </summary>
    public RateLimitRule[] RateLimits { get; init; } = [];

    /// <summary>The id of the key this one was rolled from (contract §8); null for a key never rolled into.</summary>
    public string? Replaces { get; init; }

    /// <summary>The id of the key this one was rolled into; set once, by the roll, so a key rolls at most once.</summary>
    public string? ReplacedBy { get; init; }

    /// <summary>
    /// The client addresses the key may be used from (contract §8), parsed once when the record is read so the request
    /// path does no parsing; empty for any address, and then the request path tests only the length.
    /// </summary>
    public IPNetwork[] AllowedIps { get; init; } = [];
}
