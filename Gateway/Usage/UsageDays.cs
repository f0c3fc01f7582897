using System.Globalization;

namespace Gateway.Usage;

/// <summary>UTC days as <c>yyyyMMdd</c> numbers, the unit of the Redis usage layout.</summary>
internal static class UsageDays
{
    public static int Of(DateTimeOffset time)
    {
        var utc = time.UtcDateTime;
        return (utc.Year * 10000) + (utc.Month * 100) + utc.Day;
    }

    public static DateTime Start(int day) => new(day / 10000, day / 100 % 100, day % 100, 0, 0, 0, DateTimeKind.Utc);

    public static string Format(int day) => day.ToString("00000000", CultureInfo.InvariantCulture);

    public static bool IsBefore(int day, int today, int days) => Start(day).AddDays(days) <= Start(today);

    /// <summary>When a day's usage expires: <paramref name="retentionDays"/> days after the day ends.</summary>
    public static DateTimeOffset ExpiresAt(int day, int retentionDays) => Start(day).AddDays(1 + retentionDays);
}
