using Gateway.Keys;

namespace Gateway.RateLimiting;

/// <summary>The enforcement middleware's view of the limiter (a seam its unit tests replace).</summary>
internal interface IRateLimiter
{
    /// <summary>Admits or refuses one request of a key that has at least one limit; completes synchronously when memory has the answer.</summary>
    ValueTask<RateLimitDecision> AcquireAsync(ApiKey key);
}
