using System.Globalization;

namespace Gateway.Cli;

/// <summary><c>--rate-limit</c>'s form, <c>REQUESTS/[N]UNIT</c> with UNIT s, m, h or d (<c>100/1s</c>, <c>5000/h</c>), both ways.</summary>
internal static class RateLimitFlag
{
    private static readonly (char Unit, int Seconds)[] Units = [('d', 86400), ('h', 3600), ('m', 60), ('s', 1)];

    public static bool TryParse(string value, out RateLimitValue limit)
    {
        limit = default;
        var slash = value.IndexOf('/', StringComparison.Ordinal);
        var unit = value.Length > 0 ? Array.FindIndex(Units, u => u.Unit == value[^1]) : -1;
        if (slash <= 0 || unit < 0
            || !long.TryParse(value.AsSpan(0, slash), NumberStyles.None, CultureInfo.InvariantCulture, out var requests))
        {
            return false;
        }

        var count = value.AsSpan(slash + 1, value.Length - slash - 2);
        long n = 1;
        if (!count.IsEmpty && !long.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out n))
        {
            return false;
        }

        // Out-of-range numbers go to the server as they are: its 400 names rateLimits and states the bounds. Only an
        // overflow of the product is refused here, so nothing wraps around into a valid-looking window.
        if (n > int.MaxValue)
        {
            return false;
        }

        limit = new RateLimitValue(requests, n * Units[unit].Seconds);
        return true;
    }

    /// <summary>The shortest form of a limit: the largest unit that divides its window.</summary>
    public static string Format(long requests, long windowSeconds)
    {
        var (unit, seconds) = Array.Find(Units, u => windowSeconds % u.Seconds == 0);
        return string.Create(CultureInfo.InvariantCulture, $"{requests}/{windowSeconds / seconds}{unit}");
    }

    public static string Invalid(string value) =>
        $"--rate-limit takes REQUESTS/[N]UNIT with UNIT s, m, h or d (100/1s, 5000/1h), or none; not '{value}'.";
}

/// <summary>One <c>--rate-limit</c>, as the admin API's <c>rateLimits</c> entry.</summary>
internal readonly record struct RateLimitValue(long Requests, long WindowSeconds);
