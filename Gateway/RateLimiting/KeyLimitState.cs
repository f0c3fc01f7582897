namespace Gateway.RateLimiting;

/// <summary>
/// One key's limiter state on this instance: its lease of admissions (taken from Redis, valid until the current
/// sub-bucket of its narrowest limit ends), a refusal cached until that same instant, the counts given back when a lease
/// ends unused, and the local windows used while Redis is unreachable. Fields change under <see cref="Gate"/>; at most
/// one Redis call per key is in flight (<see cref="Calls"/>).
/// </summary>
internal sealed class KeyLimitState(string keyId, RateLimitRule[] rules)
{
    public object Gate { get; } = new();

    public SemaphoreSlim Calls { get; } = new(1, 1);

    public string KeyId { get; } = keyId;

    /// <summary>The key's limits as this state was built for: a changed array (a key change) starts a new state.</summary>
    public RateLimitRule[] Rules { get; } = rules;

    public int Tokens;
    public long LeaseEndMs;
    public long[] LeaseBuckets = new long[rules.Length];
    public int Batch = 1;
    public int UsedInLease;

    public long BlockedUntilMs;
    public long BlockedRetryAtMs;
    public int BlockedRule = -1;

    public long LastUsedMs;

    /// <summary>Unused lease tokens to give back, applied by the next call (or the sweeper's).</summary>
    public List<(int WindowSeconds, long Bucket, long Delta)> Returns { get; } = [];

    /// <summary>Admissions made while Redis was away; pushed to Redis before any new lease.</summary>
    public LocalWindows Local { get; } = new(rules);

    /// <summary>Moves the unused tokens of a lease that has ended to <see cref="Returns"/>. Caller holds <see cref="Gate"/>.</summary>
    public void EndLease(long nowMs)
    {
        if (Tokens > 0 && nowMs >= LeaseEndMs)
        {
            for (var r = 0; r < Rules.Length; r++)
            {
                Returns.Add((Rules[r].WindowSeconds, LeaseBuckets[r], -Tokens));
            }

            // The next lease wants what this one used: the instance's recent rate per bucket.
            Batch = Math.Max(1, UsedInLease);
            Tokens = 0;
        }
    }
}
