namespace Gateway.RateLimiting;

/// <summary>A limiter's answer: admitted, or refused with when to retry and which limit refused (a result, not an exception).</summary>
public readonly record struct RateLimitDecision(bool Admitted, long RetryMs, RateLimitRule[]? Rules, int RefusingRule)
{
    public static readonly RateLimitDecision Admit = new(true, 0, null, -1);

    public static RateLimitDecision Refuse(long retryMs, RateLimitRule[] rules, int refusingRule) => new(false, Math.Max(1, retryMs), rules, refusingRule);
}
