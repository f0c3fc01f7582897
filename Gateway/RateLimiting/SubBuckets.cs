namespace Gateway.RateLimiting;

/// <summary>
/// The limiter's time arithmetic, with no I/O. A window of W is cut into <see cref="PerWindow"/> sub-buckets of width
/// W/k; an admission at time t in bucket b counts buckets b-k..b. Those k+1 buckets cover [(b-k)·w, t], a span of at
/// least W, so every admission within W before t is counted: in ANY sliding interval of W at most the limit is admitted
/// (an exact upper bound, where a two-bucket sliding-window estimate can overshoot up to 2x). The price is the lower
/// bound: under steady demand the k+1 buckets hold one limit, so at least k/(k+1) (97.6 %) of the allowance is used.
/// Three more buckets are counted (<see cref="Guard"/>): the limit then holds over W plus 3 %, so a request forwarded up
/// to three bucket widths later than admitted (a loaded machine), or an instance's clock that far ahead, still cannot put
/// more than the limit into any interval of W as the upstream sees it; steady demand gets k/(k+1+3) = 96.2 %, and a
/// flood, whose admissions come in bursts one span (1.04 W) apart, gets all 10 bursts in 10 windows.
/// The <see cref="Ahead"/> buckets after the current one are counted as well: a lease is prefetched into the next bucket
/// before that bucket starts, so a grant into bucket c must see what was already granted into c+1 (and c+2, for an
/// instance whose clock is up to a bucket ahead), or a window ending there could hold both. They hold at most a
/// prefetched lease, about one bucket's demand: steady demand at the limit still gets about k/(k+1+3+1) = 95.2 %.
/// </summary>
public static class SubBuckets
{
    /// <summary>k: sub-buckets per window. 100 (with the guard) keeps &gt;= 96 % of the allowance at 104 fields per limit per call.</summary>
    public const int PerWindow = 100;

    /// <summary>Buckets counted beyond the k+1 that make the bound exact: a margin for forwarding delay and clock skew.</summary>
    public const int Guard = 3;

    /// <summary>Buckets after the current one that a grant counts too: the prefetched next bucket, and one for clock skew.</summary>
    public const int Ahead = 2;

    /// <summary>Buckets counted per admission: the current one and the k + <see cref="Guard"/> before it (and <see cref="Ahead"/> after).</summary>
    public const int Counted = PerWindow + 1 + Guard;

    /// <summary>Bucket width in ms: a whole number for every window, since windows are whole seconds and 1000/100 = 10.</summary>
    public static long WidthMs(int windowSeconds) => windowSeconds * 1000L / PerWindow;

    public static long Of(long nowMs, long widthMs) => nowMs / widthMs;

    public static long EndMs(long bucket, long widthMs) => (bucket + 1) * widthMs;

    /// <summary>When the oldest counted bucket <paramref name="oldest"/> stops being counted.</summary>
    public static long LeavesWindowAtMs(long oldest, long widthMs) => (oldest + Counted) * widthMs;

    /// <summary>The end of the current bucket of the narrowest limit: no lease outlives it, and no refusal is cached past it.</summary>
    public static long EarliestEndMs(IReadOnlyList<RateLimitRule> rules, long nowMs)
    {
        var end = long.MaxValue;
        foreach (var rule in rules)
        {
            var width = WidthMs(rule.WindowSeconds);
            end = Math.Min(end, EndMs(Of(nowMs, width), width));
        }

        return end;
    }

    public static long NarrowestWidthMs(IReadOnlyList<RateLimitRule> rules)
    {
        var width = long.MaxValue;
        foreach (var rule in rules)
        {
            width = Math.Min(width, WidthMs(rule.WindowSeconds));
        }

        return width;
    }

    /// <summary>
    /// Largest lease an instance may take at once: 2 % of the smallest limit, at least 1. Unused tokens are returned when
    /// their bucket ends, so the cap bounds what leases can hold back from other instances while they are out.
    /// </summary>
    public static int LeaseCap(IReadOnlyList<RateLimitRule> rules)
    {
        var cap = int.MaxValue;
        foreach (var rule in rules)
        {
            cap = Math.Min(cap, Math.Max(1, rule.Requests / 50));
        }

        return cap;
    }

    /// <summary><c>Retry-After</c> in whole seconds, at least 1 (contract §4).</summary>
    public static int RetryAfterSeconds(long waitMs) => (int)Math.Clamp((waitMs + 999) / 1000, 1, int.MaxValue);
}
