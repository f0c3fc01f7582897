namespace Gateway.Tests.RateLimiting;

/// <summary>The contract's bounds over a list of forwarding times, checked the way the contract states them.</summary>
internal static class SlidingWindowCheck
{
    /// <summary>The most times in any half-open interval [s, s + window): every maximum starts at one of the times.</summary>
    public static int MaxInAnyInterval(IReadOnlyList<long> sortedTimes, long window)
    {
        var most = 0;
        var end = 0;
        for (var start = 0; start < sortedTimes.Count; start++)
        {
            while (end < sortedTimes.Count && sortedTimes[end] - sortedTimes[start] < window)
            {
                end++;
            }

            most = Math.Max(most, end - start);
        }

        return most;
    }

    /// <summary>Contract §9's upper bound: requests x 1.05 + 2.</summary>
    public static double UpperBound(int requests) => (requests * 1.05) + 2;

    /// <summary>Contract §9's lower bound over 10 windows of heavy demand: 0.95 x 10 x requests.</summary>
    public static double LowerBoundOverTenWindows(int requests) => 0.95 * 10 * requests;
}
