namespace Gateway.RateLimiting;

/// <summary>
/// One key's limiter state on this instance: its lease of admissions (taken from Redis, valid until the current
/// sub-bucket of its narrowest limit ends), the next bucket's lease when it was prefetched, a refusal cached until the
/// current bucket ends, the counts given back when a lease ends unused, the demand of the last bucket (what the next
/// lease asks for) and the local windows used while Redis is unreachable. Its size does not grow with time or demand.
/// Fields change under <see cref="Gate"/>; at most one request's Redis call per key is in flight (<see cref="Calls"/>),
/// and at most one prefetch beside it (<see cref="Prefetching"/>), which no request ever waits for.
/// </summary>
internal sealed class KeyLimitState
{
    public KeyLimitState(string keyId, RateLimitRule[] rules)
    {
        KeyId = keyId;
        Rules = rules;
        LeaseBuckets = new long[rules.Length];
        NextBuckets = new long[rules.Length];
        Local = new LocalWindows(rules);
        LeaseCap = SubBuckets.LeaseCap(rules);
        NarrowestWidthMs = SubBuckets.NarrowestWidthMs(rules);
    }

    public object Gate { get; } = new();

    public SemaphoreSlim Calls { get; } = new(1, 1);

    public string KeyId { get; }

    /// <summary>The key's limits as this state was built for: a changed array (a key change) starts a new state.</summary>
    public RateLimitRule[] Rules { get; }

    public int LeaseCap { get; }

    public long NarrowestWidthMs { get; }

    // The current lease: tokens left, until when, charged to which bucket of each limit.
    public int Tokens;
    public long LeaseEndMs;
    public readonly long[] LeaseBuckets;

    // The next bucket's lease, taken before it starts; used once the clock reaches NextStartMs.
    public int NextTokens;
    public long NextStartMs;
    public long NextEndMs;
    public readonly long[] NextBuckets;

    /// <summary>A prefetch call is started or in flight (one at a time).</summary>
    public bool Prefetching;

    /// <summary>The prefetch call in flight, if any (tests wait for it before they move a fake clock).</summary>
    public Task? Prefetch;

    // Demand: admissions in the current lease period (from the first admission until the narrowest bucket's end) and
    // in the one before, when it was the period right before.
    public long PeriodEndMs;
    public int UsedInPeriod;
    public int UsedInLastPeriod;

    public long BlockedUntilMs;
    public long BlockedRetryAtMs;
    public int BlockedRule = -1;

    public long LastUsedMs;

    /// <summary>Unused lease tokens to give back, applied by the next call (or the sweeper's). At most two leases' worth per limit.</summary>
    public List<(int WindowSeconds, long Bucket, long Delta)> Returns { get; } = [];

    /// <summary>Admissions made while Redis was away; pushed to Redis before any new lease.</summary>
    public LocalWindows Local { get; }

    /// <summary>
    /// Counts one admission in the demand of its period. A period ends with the narrowest limit's bucket; the last one
    /// counts only if it ended less than a bucket ago (a key gone quiet starts again from one). Caller holds <see cref="Gate"/>.
    /// </summary>
    public void CountAdmission(long nowMs)
    {
        if (nowMs >= PeriodEndMs)
        {
            UsedInLastPeriod = nowMs < PeriodEndMs + NarrowestWidthMs ? UsedInPeriod : 0;
            UsedInPeriod = 0;
            PeriodEndMs = SubBuckets.EarliestEndMs(Rules, nowMs);
        }

        UsedInPeriod++;
    }

    /// <summary>
    /// Tokens for a lease: twice the demand of the last whole period, so one call a bucket serves a steady key whose
    /// demand jumps from one 10 ms bucket to the next (wrk's 32 connections do); a lease that ran out inside its bucket
    /// asks for twice what the bucket used so far. At most the cap (2 % of the smallest limit); unused tokens go back.
    /// </summary>
    public int Want(long nowMs)
    {
        var current = nowMs < PeriodEndMs ? UsedInPeriod : 0;
        var last = nowMs < PeriodEndMs ? UsedInLastPeriod : nowMs < PeriodEndMs + NarrowestWidthMs ? UsedInPeriod : 0;
        var want = 2L * Math.Max(current, last);
        return (int)Math.Clamp(want, 1, LeaseCap);
    }

    /// <summary>
    /// Ends the current lease once its bucket is over: unused tokens go to <see cref="Returns"/>, and the prefetched lease
    /// becomes current when its bucket has come (or is given back too when that is also over). Caller holds <see cref="Gate"/>.
    /// </summary>
    public void EndLease(long nowMs)
    {
        if (nowMs < LeaseEndMs)
        {
            return;
        }

        GiveBack(ref Tokens, LeaseBuckets);
        if (NextTokens > 0 && nowMs >= NextEndMs)
        {
            GiveBack(ref NextTokens, NextBuckets);
        }
        else if (NextTokens > 0 && nowMs >= NextStartMs)
        {
            Tokens = NextTokens;
            LeaseEndMs = NextEndMs;
            NextBuckets.CopyTo(LeaseBuckets, 0);
            NextTokens = 0;
        }
    }

    /// <summary>
    /// Makes a lease from a request's own call current. A lease promoted meanwhile (a prefetch that answered during the
    /// call) is given back, not dropped: dropped, its tokens would stay counted until their buckets leave the window.
    /// </summary>
    public void StartLease(int tokens, long endMs, long[] buckets)
    {
        GiveBack(ref Tokens, LeaseBuckets);
        // The store charged these buckets with the admission this lease starts with and its tokens.
        Local.Charge(buckets, tokens + 1);
        Tokens = tokens;
        LeaseEndMs = endMs;
        buckets.CopyTo(LeaseBuckets, 0);
    }

    /// <summary>Keeps a prefetched lease as the next one; when its bucket has come and the current lease is for the same buckets, joins them.</summary>
    public void SetNext(int tokens, long startMs, long endMs, long[] buckets)
    {
        Local.Charge(buckets, tokens);
        NextTokens = tokens;
        NextStartMs = startMs;
        NextEndMs = endMs;
        buckets.CopyTo(NextBuckets, 0);
        if (NextEndMs == LeaseEndMs && NextBuckets.AsSpan().SequenceEqual(LeaseBuckets))
        {
            Tokens += NextTokens;
            NextTokens = 0;
        }
    }

    private void GiveBack(ref int tokens, long[] buckets)
    {
        if (tokens <= 0)
        {
            return;
        }

        for (var r = 0; r < Rules.Length; r++)
        {
            Returns.Add((Rules[r].WindowSeconds, buckets[r], -tokens));
        }

        Local.Charge(buckets, -tokens);
        tokens = 0;
    }
}
