using Gateway.RateLimiting;

namespace Gateway.Tests.RateLimiting;

/// <summary>
/// The limiter's arithmetic, without I/O: <see cref="LocalWindows"/> applies exactly the rule the Redis script applies
/// (count the trailing k+1 sub-buckets), so its bounds are the scheme's bounds.
/// </summary>
public sealed class SubBucketsTests
{
    [Theory]
    [InlineData(50, 1, 1)]
    [InlineData(7, 10, 2)]
    [InlineData(120, 60, 3)]
    [InlineData(1, 1, 4)]
    [InlineData(1000, 3600, 5)]
    public void AnySlidingWindow_NeverHoldsMoreThanTheLimit(int requests, int windowSeconds, int seed)
    {
        var rules = new[] { new RateLimitRule(requests, windowSeconds) };
        var windowMs = windowSeconds * 1000L;
        var local = new LocalWindows(rules);
        var random = new Random(seed);
        var admitted = new List<long>();
        var now = 1_700_000_000_000L + random.Next(0, 100_000);
        var end = now + (20 * windowMs);
        while (now < end)
        {
            // Bursts and lulls: up to 4 arrivals at one instant, then a gap of 0 to 2 window/requests (about 2.5x the limit's rate).
            for (var burst = random.Next(1, 5); burst > 0; burst--)
            {
                if (local.TryAdmit(now, out _, out _))
                {
                    admitted.Add(now);
                }
            }

            now += random.Next(0, (int)Math.Max(2, 2 * windowMs / requests));
        }

        Assert.True(admitted.Count > requests, "the demand was enough to reach the limit");
        Assert.True(SlidingWindowCheck.MaxInAnyInterval(admitted, windowMs) <= requests);
    }

    [Theory]
    [InlineData(50, 1)]
    [InlineData(200, 10)]
    [InlineData(120, 60)]
    public void HeavyDemand_ForTenWindows_GetsAtLeastK_OverKPlusOne(int requests, int windowSeconds)
    {
        var windowMs = windowSeconds * 1000L;
        var local = new LocalWindows([new RateLimitRule(requests, windowSeconds)]);
        var start = 1_700_000_000_007L;
        var admitted = 0;
        var step = Math.Max(1, windowMs / 1000);
        for (var now = start; now < start + (10 * windowMs); now += step)
        {
            admitted += local.TryAdmit(now, out _, out _) ? 1 : 0;
            admitted += local.TryAdmit(now, out _, out _) ? 1 : 0;
        }

        Assert.True(admitted >= SlidingWindowCheck.LowerBoundOverTenWindows(requests), $"{admitted} admitted");
        Assert.True(admitted <= 10 * requests, $"{admitted} admitted");
    }

    [Fact]
    public void Refused_RetryAfter_IsWhenTheOldestCountedBucketLeaves()
    {
        var local = new LocalWindows([new RateLimitRule(2, 1)]);
        const long T = 1_700_000_000_010L;
        Assert.True(local.TryAdmit(T, out _, out _));
        Assert.True(local.TryAdmit(T + 300, out _, out _));
        Assert.False(local.TryAdmit(T + 400, out var retryMs, out var rule));
        Assert.Equal(0, rule);
        // The first admission is in bucket T/10; it stops counting at (bucket + 104) * 10 (k + 1 + the guard of 3).
        var leaves = ((T / 10) + 104) * 10;
        Assert.Equal(leaves - (T + 400), retryMs);
        Assert.False(local.TryAdmit(leaves - 1, out _, out _));
        Assert.True(local.TryAdmit(leaves, out _, out _));
    }

    [Fact]
    public void EveryLimit_IsHeld_TheNarrowestRefusingFirst()
    {
        var local = new LocalWindows([new RateLimitRule(3, 1), new RateLimitRule(4, 60)]);
        var now = 1_700_000_000_000L;
        var admitted = 0;
        for (var i = 0; i < 100; i++, now += 400)
        {
            admitted += local.TryAdmit(now, out _, out _) ? 1 : 0;
        }

        Assert.Equal(4, admitted);
        Assert.False(local.TryAdmit(now, out _, out var rule));
        Assert.Equal(1, rule);
    }

    [Fact]
    public void Open_ListsOnlyBucketsStillInTheirWindow_AndSubtractEmptiesIt()
    {
        var local = new LocalWindows([new RateLimitRule(100, 1)]);
        const long T = 1_700_000_000_000L;
        local.TryAdmit(T, out _, out _);
        local.TryAdmit(T + 500, out _, out _);
        local.TryAdmit(T + 500, out _, out _);
        var open = local.Open(T + 1040);
        Assert.Equal([(1, (T + 500) / 10, 2L)], open);
        local.Subtract(open, T + 1040);
        Assert.True(local.IsEmpty);
    }

    [Theory]
    [InlineData(1, 10)]
    [InlineData(10, 100)]
    [InlineData(60, 600)]
    [InlineData(2_678_400, 26_784_000)]
    public void BucketWidth_IsAHundredthOfTheWindow(int windowSeconds, long widthMs) =>
        Assert.Equal(widthMs, SubBuckets.WidthMs(windowSeconds));

    [Theory]
    [InlineData(1, 1)]
    [InlineData(999, 1)]
    [InlineData(1000, 1)]
    [InlineData(1001, 2)]
    [InlineData(59_999, 60)]
    public void RetryAfter_IsWholeSecondsRoundedUp_AtLeastOne(long waitMs, int seconds) =>
        Assert.Equal(seconds, SubBuckets.RetryAfterSeconds(waitMs));

    [Fact]
    public void LeaseCap_IsTwoPercentOfTheSmallestLimit_AtLeastOne()
    {
        Assert.Equal(1, SubBuckets.LeaseCap([new RateLimitRule(50, 1)]));
        Assert.Equal(2, SubBuckets.LeaseCap([new RateLimitRule(100, 1)]));
        Assert.Equal(20, SubBuckets.LeaseCap([new RateLimitRule(100_000, 60), new RateLimitRule(1000, 1)]));
    }
}
