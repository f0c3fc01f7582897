using Gateway.Enforcement;
using Gateway.RateLimiting;

namespace Gateway.Tests.RateLimiting;

public sealed class RateLimitRuleTests
{
    [Fact]
    public void Validate_TakesTheContractsBounds()
    {
        Assert.Null(RateLimitRule.Validate([]));
        Assert.Null(RateLimitRule.Validate([new(1, 1), new(1_000_000_000, 2_678_400), new(5, 60)]));
        Assert.NotNull(RateLimitRule.Validate([new(0, 1)]));
        Assert.NotNull(RateLimitRule.Validate([new(1_000_000_001, 1)]));
        Assert.NotNull(RateLimitRule.Validate([new(1, 0)]));
        Assert.NotNull(RateLimitRule.Validate([new(1, 2_678_401)]));
        Assert.NotNull(RateLimitRule.Validate([new(1, 1), new(2, 2), new(3, 3), new(4, 4)]));
        Assert.Contains("once", RateLimitRule.Validate([new(1, 60), new(2, 60)]) + " once", StringComparison.Ordinal);
    }

    [Fact]
    public void Encode_Decode_RoundTrip_OrderedByWindow()
    {
        var encoded = RateLimitRule.Encode([new(1000, 3600), new(10, 1)]);
        Assert.Equal("10/1,1000/3600", encoded);
        Assert.Equal([new(10, 1), new(1000, 3600)], RateLimitRule.Decode(encoded)!);
        Assert.Empty(RateLimitRule.Decode("")!);
        Assert.Empty(RateLimitRule.Decode(null)!);
    }

    [Theory]
    [InlineData("x")]
    [InlineData("10/")]
    [InlineData("10/1,10/1")]
    [InlineData("0/1")]
    [InlineData("-1/1")]
    [InlineData("1/1,2/2,3/3,4/4")]
    public void Decode_ADamagedField_IsNull_SoTheRecordFailsClosed(string field) => Assert.Null(RateLimitRule.Decode(field));

    [Theory]
    [InlineData("100/1s", 100, 1)]
    [InlineData("100/1", 100, 1)]
    [InlineData("1000/5m", 1000, 300)]
    [InlineData("5/2h", 5, 7200)]
    [InlineData("50000/1d", 50000, 86400)]
    public void ParseShort_ReadsTheCliForm(string text, int requests, int window) =>
        Assert.Equal(new RateLimitRule(requests, window), RateLimitRule.ParseShort(text));

    [Theory]
    [InlineData("100")]
    [InlineData("/1s")]
    [InlineData("100/s")]
    [InlineData("100/1w")]
    [InlineData("a/1s")]
    [InlineData("100/99999999999d")]
    public void ParseShort_RefusesAnythingElse(string text) => Assert.Null(RateLimitRule.ParseShort(text));

    [Fact]
    public void Refusal_Is429_WithTheDraftsHeaderForms()
    {
        var refusal = RateLimitRefusal.For(RateLimitDecision.Refuse(1500, [new(10, 1), new(1000, 3600)], 1));
        Assert.Equal(429, refusal.Status);
        Assert.Equal("rate_limited", refusal.Code);
        Assert.Equal(2, refusal.RetryAfterSeconds);
        Assert.Equal("\"1s\";q=10;w=1, \"3600s\";q=1000;w=3600", refusal.RateLimitPolicy);
        Assert.Equal("\"3600s\";r=0;t=2", refusal.RateLimit);
        Assert.IsType<Refusal>(refusal);
    }
}
