using Gateway.Keys;

namespace Gateway.Caching;

public enum LookupStatus : byte
{
    Found,
    NotFound,
    StoreUnavailable,
}

/// <summary>The answer for a presented key: a result, never an exception.</summary>
public readonly record struct KeyLookup(LookupStatus Status, ApiKey? Key, int RetryAfterSeconds = 0)
{
    public static KeyLookup NotFound => new(LookupStatus.NotFound, null);

    public static KeyLookup Found(ApiKey key) => new(LookupStatus.Found, key);

    public static KeyLookup Unavailable(int retryAfterSeconds) => new(LookupStatus.StoreUnavailable, null, retryAfterSeconds);
}
