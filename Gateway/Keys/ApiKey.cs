namespace Gateway.Keys;

/// <summary>
/// A key as the gateway knows it (contract §3). Holds no secret: the plaintext is never kept, and
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
    KeyScopes Scopes);
