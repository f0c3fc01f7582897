namespace Gateway.Tests.RateLimiting;

/// <summary>
/// The contract's two bounds over one run: <see cref="Most"/>, the most arrivals in any sliding window; and over the
/// <see cref="DemandWindows"/> leading windows (from the start of demand) in which at least twice the limit was sent,
/// how many arrivals fell in them (<see cref="Forwarded"/>). Leading windows only: admissions come in bursts one counted
/// span apart from the first, so n windows from the start hold n bursts, where n windows taken anywhere might hold n-1.
/// </summary>
internal sealed record AccuracyVerdict(int Requests, int Most, int DemandWindows, int Forwarded, int Sent, int Refused)
{
    /// <summary>Fewer windows of demand than this says the run measured nothing: the machine could not send enough.</summary>
    private const int MinimumDemandWindows = 3;

    public static AccuracyVerdict Of(
        IReadOnlyList<long> sortedArrivals, IReadOnlyList<(long At, bool Refused)> sent, long start, long window, int requests, int windows)
    {
        var most = SlidingWindowCheck.MaxInAnyInterval(sortedArrivals, window);
        var demandWindows = 0;
        while (demandWindows < windows)
        {
            var from = start + (demandWindows * window);
            if (sent.Count(s => s.At >= from && s.At < from + window) < 2 * requests)
            {
                break;
            }

            demandWindows++;
        }

        var end = start + (demandWindows * window);
        var forwarded = sortedArrivals.Count(a => a >= start && a < end);
        return new AccuracyVerdict(requests, most, demandWindows, forwarded, sent.Count, sent.Count(s => s.Refused));
    }

    public void AssertBoth()
    {
        Assert.True(Most <= SlidingWindowCheck.UpperBound(Requests), $"{Most} forwarded within one window (bound {SlidingWindowCheck.UpperBound(Requests)})");
        Assert.True(DemandWindows >= MinimumDemandWindows, $"demand stayed over twice the limit for only {DemandWindows} windows");
        var lower = 0.95 * Requests * DemandWindows;
        Assert.True(Forwarded >= lower, $"{Forwarded} forwarded in {DemandWindows} windows of heavy demand (bound {lower})");
    }

    public override string ToString() =>
        $"at most {Most} in any window (bound {SlidingWindowCheck.UpperBound(Requests)}); {Forwarded} forwarded in {DemandWindows} windows of demand " +
        $"(bound {0.95 * Requests * DemandWindows}); {Sent} sent, {Refused} refused";
}
