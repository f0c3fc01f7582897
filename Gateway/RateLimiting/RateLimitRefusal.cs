using System.Globalization;
using System.Text;
using Gateway.Enforcement;

namespace Gateway.RateLimiting;

/// <summary>
/// The 429 of contract §9, with the header fields of the IETF draft draft-ietf-httpapi-ratelimit-headers-10/-11:
/// <c>RateLimit-Policy</c> lists every limit of the key as a quoted policy name with <c>q</c> (quota) and <c>w</c>
/// (window, seconds); <c>RateLimit</c> names the limit that refused with <c>r</c> (remaining, 0) and <c>t</c> (seconds
/// until room frees, the <c>Retry-After</c> value).
/// </summary>
internal static class RateLimitRefusal
{
    public static Refusal For(RateLimitDecision decision)
    {
        var rules = decision.Rules ?? [];
        var retryAfter = SubBuckets.RetryAfterSeconds(decision.RetryMs);
        var refusing = decision.RefusingRule >= 0 && decision.RefusingRule < rules.Length ? rules[decision.RefusingRule] : rules.FirstOrDefault();
        var policy = new StringBuilder();
        foreach (var rule in rules)
        {
            policy.Append(policy.Length == 0 ? "" : ", ").Append(CultureInfo.InvariantCulture, $"\"{rule.PolicyName}\";q={rule.Requests};w={rule.WindowSeconds}");
        }

        return new Refusal(429, "rate_limited", "Rate limit exceeded",
            $"This API key allows {refusing.Requests} requests per {refusing.WindowSeconds} s; retry after {retryAfter} s.")
        {
            RetryAfterSeconds = retryAfter,
            RateLimitPolicy = policy.ToString(),
            RateLimit = string.Create(CultureInfo.InvariantCulture, $"\"{refusing.PolicyName}\";r=0;t={retryAfter}"),
        };
    }
}
