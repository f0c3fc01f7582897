using Gateway.Keys;
using Gateway.Tests.Infrastructure;
using Gateway.Usage;

namespace Gateway.Tests.Usage;

/// <summary>
/// Issue 11: a key is added to its day's set (<c>usage:keys:&lt;day&gt;</c>) once per process and day, not on every
/// flush, and the set and the hash's expiry stay complete when the process restarts or Redis loses the key's hash.
/// Each test reads Redis with its own connection (UsageRedis).
/// </summary>
public sealed class UsageDayIndexTests : UsageStoreTest
{
    private string Day => UsageDays.Format(Today);

    [Fact]
    public async Task AKeyDay_IsIndexedOnce_AndAgainInTheFlushThatRecreatesItsHash_WithItsExpiry()
    {
        Parts.Counters.Record(UsageParts.Key("ka"), ScopeTarget.Endpoint("ep1"), allowed: true);
        await FlushAsync(Parts);
        Assert.Equal(["ka"], await Reader.KeyIdsAsync([Day]));

        // The next flush of the same key and day carries no set write: the batch's key-day is already indexed. (From here
        // on batches are applied by hand, with sequences above the flusher's, as the flusher's own would be.)
        Parts.Counters.Record(UsageParts.Key("ka"), ScopeTarget.Endpoint("ep1"), allowed: true);
        var batch = new UsageBatch(100, Parts.Counters.Drain());
        Parts.Store.Plan(batch);
        Assert.All(batch.KeyDays!, k => Assert.Equal(1, k.State!.Indexed));
        await Parts.Store.ApplyAsync(batch);
        Assert.Equal("{endpoint:ep1:allowed=2}", UsageRedis.Show(await Reader.CountsAsync("ka", [Day])));

        // Redis loses the hash and the set (a failover to a replica that had neither): the flush that creates the
        // hash again sets its expiry and puts the key back in the set, although this process had indexed it.
        // One key a DEL: on the CI cluster the hash and the set are in different slots.
        await Reader.Db.KeyDeleteAsync(Reader.HashKey("ka", Day));
        await Reader.Db.KeyDeleteAsync(Reader.DayIndexKey(Day));
        Parts.Counters.Record(UsageParts.Key("ka"), ScopeTarget.Endpoint("ep1"), allowed: false);
        await Parts.Store.ApplyAsync(new UsageBatch(101, Parts.Counters.Drain()));
        Assert.Equal("{endpoint:ep1:denied=1}", UsageRedis.Show(await Reader.CountsAsync("ka", [Day])));
        Assert.Equal(["ka"], await Reader.KeyIdsAsync([Day]));
        await AssertExpiresWithTheDayAsync(Reader.HashKey("ka", Day));
        await AssertExpiresWithTheDayAsync(Reader.DayIndexKey(Day));
    }

    [Fact]
    public async Task ANewProcess_IndexesItsKeyDaysAgain_AndKeepsCounting()
    {
        Parts.Counters.Record(UsageParts.Key("kb"), ScopeTarget.GraphQLApi, allowed: true);
        await FlushAsync(Parts);

        // The set lost (an operator's cleanup, a partial restore), then a restart: the new process adds the key again.
        await Reader.Db.KeyDeleteAsync(Reader.DayIndexKey(Day));
        using var restarted = new UsageParts(TestStore.Configuration, Prefix, TimeProvider.System);
        restarted.Counters.Record(UsageParts.Key("kb"), ScopeTarget.GraphQLApi, allowed: true);
        await FlushAsync(restarted);

        Assert.Equal("{graphql:allowed=2}", UsageRedis.Show(await Reader.CountsAsync("kb", [Day])));
        Assert.Equal(["kb"], await Reader.KeyIdsAsync([Day]));
        await AssertExpiresWithTheDayAsync(Reader.HashKey("kb", Day));
        await AssertExpiresWithTheDayAsync(Reader.DayIndexKey(Day));
    }

    private static async Task FlushAsync(UsageParts parts)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await parts.Flusher.FlushRemainingAsync(deadline.Token);
    }

    /// <summary>Contract §6: a day's usage expires Usage:RetentionDays (90) days after the day ends.</summary>
    private async Task AssertExpiresWithTheDayAsync(StackExchange.Redis.RedisKey key)
    {
        var ttl = await Reader.Db.KeyTimeToLiveAsync(key);
        Assert.NotNull(ttl);
        var expected = UsageDays.Start(Today).AddDays(91) - DateTime.UtcNow;
        Assert.InRange(ttl.Value, expected - TimeSpan.FromMinutes(1), expected + TimeSpan.FromMinutes(1));
    }
}
