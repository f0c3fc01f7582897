using System.Globalization;
using System.Text;

namespace Gateway.RateLimiting;

/// <summary>One limit of a key (contract §9): at most <see cref="Requests"/> forwarded in any <see cref="WindowSeconds"/>.</summary>
public readonly record struct RateLimitRule(int Requests, int WindowSeconds)
{
    public const int MaxRules = 3;
    public const int MaxRequests = 1_000_000_000;
    public const int MaxWindowSeconds = 2_678_400;

    /// <summary>The policy's name in the <c>RateLimit-Policy</c> and <c>RateLimit</c> headers: the window, which is unique per key.</summary>
    public string PolicyName => WindowSeconds.ToString(CultureInfo.InvariantCulture) + "s";

    /// <summary>Why a list of limits is invalid, or null: the bounds of contract §9 and at most one limit per window.</summary>
    public static string? Validate(IReadOnlyList<RateLimitRule> rules)
    {
        if (rules.Count > MaxRules)
        {
            return $"at most {MaxRules} limits";
        }

        for (var i = 0; i < rules.Count; i++)
        {
            var rule = rules[i];
            if (rule.Requests is < 1 or > MaxRequests)
            {
                return $"requests must be 1 to {MaxRequests}";
            }

            if (rule.WindowSeconds is < 1 or > MaxWindowSeconds)
            {
                return $"windowSeconds must be 1 to {MaxWindowSeconds}";
            }

            for (var j = 0; j < i; j++)
            {
                if (rules[j].WindowSeconds == rule.WindowSeconds)
                {
                    return $"at most one limit per window ({rule.WindowSeconds} s is given twice)";
                }
            }
        }

        return null;
    }

    /// <summary>The record's field: <c>requests/windowSeconds</c> pairs joined by commas, ordered by window; empty for none.</summary>
    public static string Encode(IReadOnlyList<RateLimitRule> rules)
    {
        var text = new StringBuilder();
        foreach (var rule in rules.OrderBy(r => r.WindowSeconds))
        {
            text.Append(text.Length == 0 ? "" : ",").Append(rule.Requests.ToString(CultureInfo.InvariantCulture))
                .Append('/').Append(rule.WindowSeconds.ToString(CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }

    /// <summary>Decodes the record's field; null when it does not decode or breaks a bound (the caller treats the record as damaged: fail closed).</summary>
    public static RateLimitRule[]? Decode(string? field)
    {
        if (string.IsNullOrEmpty(field))
        {
            return [];
        }

        var parts = field.Split(',');
        var rules = new RateLimitRule[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            var pair = parts[i].Split('/');
            if (pair.Length != 2
                || !int.TryParse(pair[0], NumberStyles.None, CultureInfo.InvariantCulture, out var requests)
                || !int.TryParse(pair[1], NumberStyles.None, CultureInfo.InvariantCulture, out var window))
            {
                return null;
            }

            rules[i] = new RateLimitRule(requests, window);
        }

        return Validate(rules) is null ? rules : null;
    }

    /// <summary>
    /// The CLI's form: <c>100/1s</c>, <c>1000/5m</c>, <c>50000/1d</c> (units s, m, h, d; none means seconds). Null when
    /// it does not parse; bounds are the admin API's to check.
    /// </summary>
    public static RateLimitRule? ParseShort(string text)
    {
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || !int.TryParse(text.AsSpan(0, slash), NumberStyles.None, CultureInfo.InvariantCulture, out var requests))
        {
            return null;
        }

        var window = text.AsSpan(slash + 1);
        var unit = window.Length > 0 && char.IsAsciiLetter(window[^1]) ? char.ToLowerInvariant(window[^1]) : 's';
        var digits = char.IsAsciiLetter(window.Length > 0 ? window[^1] : '0') ? window[..^1] : window;
        long multiplier = unit switch { 's' => 1, 'm' => 60, 'h' => 3600, 'd' => 86400, _ => 0 };
        if (multiplier == 0 || !long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var count)
            || count * multiplier > int.MaxValue)
        {
            return null;
        }

        return new RateLimitRule(requests, (int)(count * multiplier));
    }
}
