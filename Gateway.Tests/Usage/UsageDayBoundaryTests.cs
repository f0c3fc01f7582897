using Gateway.Configuration;
using Gateway.Keys;
using Gateway.Tests.Infrastructure;
using Gateway.Usage;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Usage;

/// <summary>A hash per key per UTC day, expiring RetentionDays after its day ends.</summary>
public sealed class UsageDayBoundaryTests : IAsyncLifetime
{
    private const int RetentionDays = 7;
    private static readonly TimeSpan Tolerance = TimeSpan.FromSeconds(5);
    private readonly string _prefix = TestStore.UniquePrefix();
    // The fake clock sits on the real calendar (tonight), so the absolute expiry Redis is given lies in the future.
    private readonly DateTimeOffset _midnight = new(DateTime.UtcNow.Date.AddDays(1), TimeSpan.Zero);
    private FakeTimeProvider _time = null!;
    private UsageParts _parts = null!;
    private UsageRedis _redis = null!;

    public async Task InitializeAsync()
    {
        _time = new FakeTimeProvider(_midnight.AddMilliseconds(-100));
        _parts = new UsageParts(TestStore.Configuration, _prefix, _time, new UsageOptions { RetentionDays = RetentionDays });
        _redis = await UsageRedis.ConnectAsync(TestStore.Configuration, _prefix);
    }

    public Task DisposeAsync()
    {
        _parts.Dispose();
        _redis.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task RequestsEitherSideOfUtcMidnight_LandInTheirOwnDaysHash_WithThatDaysExpiry()
    {
        var a = UsageParts.Key("ka");
        var b = UsageParts.Key("kb");

        // 23:59:59.900
        Record(a, ScopeTarget.Endpoint("ep1"), allowed: true, times: 3);
        Record(a, ScopeTarget.GraphQLApi, allowed: false, times: 1);
        Record(b, ScopeTarget.Endpoint("ep2"), allowed: true, times: 2);
        _time.Advance(TimeSpan.FromMilliseconds(200));
        // 00:00:00.100 the next day
        Record(a, ScopeTarget.Endpoint("ep1"), allowed: true, times: 4);
        Record(a, ScopeTarget.Endpoint("ep1"), allowed: false, times: 1);

        var deltas = _parts.Counters.Drain();
        await _parts.Store.ApplyAsync(new Gateway.Usage.UsageBatch(1, deltas));

        var day1 = UsageRedis.Day(_midnight.AddDays(-1));
        var day2 = UsageRedis.Day(_midnight);
        Assert.Equal("{endpoint:ep1:allowed=3, graphql:denied=1}", UsageRedis.Show(await _redis.CountsAsync("ka", [day1])));
        Assert.Equal("{endpoint:ep1:allowed=4, endpoint:ep1:denied=1}", UsageRedis.Show(await _redis.CountsAsync("ka", [day2])));
        Assert.Equal("{endpoint:ep2:allowed=2}", UsageRedis.Show(await _redis.CountsAsync("kb", [day1])));
        Assert.False(await _redis.Db.KeyExistsAsync(_redis.HashKey("kb", day2)));
        Assert.Equal(new[] { "ka", "kb" }, await _redis.KeyIdsAsync([day1]));
        Assert.Equal(new[] { "ka" }, await _redis.KeyIdsAsync([day2]));

        // Each expires RetentionDays after its own day ends. Redis counts TTLs on the real clock, so compare
        // absolute instants: real now + TTL against the end of the (fake) day + RetentionDays.
        await AssertExpiresAtAsync(_redis.HashKey("ka", day1), _midnight.AddDays(RetentionDays));
        await AssertExpiresAtAsync(_redis.HashKey("kb", day1), _midnight.AddDays(RetentionDays));
        await AssertExpiresAtAsync(_redis.DayIndexKey(day1), _midnight.AddDays(RetentionDays));
        await AssertExpiresAtAsync(_redis.HashKey("ka", day2), _midnight.AddDays(1 + RetentionDays));
        await AssertExpiresAtAsync(_redis.DayIndexKey(day2), _midnight.AddDays(1 + RetentionDays));

        // The usage call's reader sees both days, newest first.
        var read = await _parts.Store.ReadAsync("ka", Gateway.Usage.UsageDays.Of(_midnight), 2);
        Assert.Equal([int.Parse(day2), int.Parse(day1)], read.Select(r => r.Day));
    }

    [Fact]
    public void IdleSlotsOfPastDays_AreReleased_AndTodaysAreKept()
    {
        var a = UsageParts.Key("ka");
        Record(a, ScopeTarget.Endpoint("ep1"), allowed: true, times: 1);
        _time.Advance(TimeSpan.FromMilliseconds(200));
        Record(a, ScopeTarget.Endpoint("ep1"), allowed: true, times: 1);
        Assert.Equal(2, _parts.Counters.Drain().Count);
        Assert.Equal(2, PendingCounters.Read(_parts.MeterFactory));

        // A day on, the idle slot from two days back is released; yesterday's stays until it is two days old too.
        _time.Advance(TimeSpan.FromDays(1));
        Assert.Empty(_parts.Counters.Drain());
        Assert.Equal(1, PendingCounters.Read(_parts.MeterFactory));
    }

    private void Record(ApiKey key, ScopeTarget target, bool allowed, int times)
    {
        for (var i = 0; i < times; i++)
        {
            _parts.Counters.Record(key, target, allowed);
        }
    }

    private async Task AssertExpiresAtAsync(StackExchange.Redis.RedisKey key, DateTimeOffset expected)
    {
        var ttl = await _redis.Db.KeyTimeToLiveAsync(key);
        Assert.True(ttl.HasValue, $"{key} has no expiry");
        var actual = DateTimeOffset.UtcNow + ttl.Value;
        Assert.InRange(actual, expected - Tolerance, expected + Tolerance);
    }
}
