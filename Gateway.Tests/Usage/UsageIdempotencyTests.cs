using Gateway.Keys;
using Gateway.Tests.Infrastructure;
using Gateway.Usage;
using StackExchange.Redis;

namespace Gateway.Tests.Usage;

/// <summary>A batch whose reply was lost is retried under the same sequence and must not be counted twice.</summary>
public sealed class UsageIdempotencyTests : UsageStoreTest
{

    [Fact]
    public async Task Apply_SameSequenceTwice_CountsOnce_AndTheNextSequenceAddsAgain()
    {
        var deltas = new[] { Delta("ka", Today, "ep1", 5, 2), Delta("ka", Today, null, 0, 3) };

        // Each a fresh batch of the same sequence, as a retry whose earlier reply was lost: it sends every call again.
        await Parts.Store.ApplyAsync(new UsageBatch(1, deltas));
        await Parts.Store.ApplyAsync(new UsageBatch(1, deltas));
        await Task.WhenAll(Parts.Store.ApplyAsync(new UsageBatch(1, deltas)), Parts.Store.ApplyAsync(new UsageBatch(1, deltas)));
        Assert.Equal("{endpoint:ep1:allowed=5, endpoint:ep1:denied=2, graphql:denied=3}", await ShowAsync("ka", Today));

        await Parts.Store.ApplyAsync(new UsageBatch(2, deltas));
        Assert.Equal("{endpoint:ep1:allowed=10, endpoint:ep1:denied=4, graphql:denied=6}", await ShowAsync("ka", Today));

        // A late duplicate of an older batch (its first attempt still in flight somewhere) changes nothing either.
        await Parts.Store.ApplyAsync(new UsageBatch(1, deltas));
        Assert.Equal("{endpoint:ep1:allowed=10, endpoint:ep1:denied=4, graphql:denied=6}", await ShowAsync("ka", Today));
        Assert.Equal(new[] { "ka" }, await Reader.KeyIdsAsync([UsageDays.Format(Today)]));
    }

    [Fact]
    public async Task Apply_RetryAfterSomeSlotGroupsLanded_AppliesEachGroupOnce()
    {
        // 1,500 keys over two days and a key's yesterday: well past one call's size, so the batch is many calls.
        var yesterday = UsageDays.Of(UsageDays.Start(Today).AddDays(-1));
        var deltas = Enumerable.Range(0, 1500).Select(i => Delta("k" + i, Today, "ep" + (i % 3), i + 1, i % 2))
            .Append(Delta("k0", yesterday, null, 4, 1)).ToArray();
        var batch = new UsageBatch(7, deltas);
        var calls = Parts.Store.Plan(batch);
        Assert.True(calls.Count >= 4, $"{calls.Count} calls");

        // The first attempt reached Redis for every other call, then the replies were lost.
        foreach (var call in calls.Where((_, i) => i % 2 == 0))
        {
            Assert.NotEqual(-1, (long)(await Parts.Connection.Database.ScriptEvaluateAsync(UsageScript.Text, call.Keys, call.Args))[0]);
        }

        await Parts.Store.ApplyAsync(batch);
        Assert.True(calls.All(c => c.Landed));
        for (var i = 0; i < 1500; i += 97)
        {
            Assert.Equal($"{{endpoint:ep{i % 3}:allowed={i + 1}{(i % 2 == 1 ? $", endpoint:ep{i % 3}:denied=1" : "")}}}", await ShowAsync("k" + i, Today));
        }

        Assert.Equal("{graphql:allowed=4, graphql:denied=1}", await ShowAsync("k0", yesterday));
        var total = 0L;
        foreach (var id in await Reader.KeyIdsAsync([UsageDays.Format(Today)]))
        {
            total += (await Reader.CountsAsync(id, [UsageDays.Format(Today)])).Values.Sum();
        }

        Assert.Equal(deltas.Where(d => d.Slot.Day == Today).Sum(d => d.Allowed + d.Denied), total);
    }

    [Fact]
    public async Task Apply_LastUsedAt_OnlyMovesForwardAndNeverCreatesARecord()
    {
        var digest = KeyDigest.Compute("idempotency-test-key-" + Prefix);
        RedisKey record = $"{Prefix}key:{digest.ToHex()}";
        var missing = KeyDigest.Compute("never-created-" + Prefix);
        await Reader.Db.HashSetAsync(record, [new HashEntry("id", "kr")]);

        await Parts.Store.ApplyAsync(new UsageBatch(1, [Delta("kr", Today, "ep1", 1, 0, lastUsed: 2_000)]));
        await Parts.Store.ApplyAsync(new UsageBatch(2, [Delta("kr", Today, "ep1", 1, 0, lastUsed: 1_000)]));
        await Parts.Store.ApplyAsync(new UsageBatch(3, [Delta("km", Today, "ep1", 1, 0, lastUsed: 3_000)]));

        Assert.Equal(2_000, await Reader.LastUsedAsync("kr"));
        // One key on two days in one call (a flush across midnight): the later time, whichever day's write carries it.
        await Parts.Store.ApplyAsync(new UsageBatch(4,
            [Delta("kr", UsageDays.Of(DateTimeOffset.UtcNow.AddDays(-1)), "ep1", 1, 0, lastUsed: 9_000), Delta("kr", Today, "ep1", 1, 0, lastUsed: 8_000)]));
        Assert.Equal(9_000, await Reader.LastUsedAsync("kr"));
        Assert.Equal(3_000, await Reader.LastUsedAsync("km"));
        // The flush never touches records: no field written into one, none created for a key without one.
        Assert.False(await Reader.Db.HashExistsAsync(record, "lastUsedAt"));
        Assert.False(await Reader.Db.KeyExistsAsync($"{Prefix}key:{missing.ToHex()}"));
    }

    [Fact]
    public async Task Flusher_ReplyLost_RetriesTheSameBatchWithoutCountingTwice()
    {
        await using var relay = ReplyDroppingRelay.ForTestStore();
        using var parts = new UsageParts($"127.0.0.1:{relay.Port},asyncTimeout=5000,connectTimeout=2000", Prefix, TimeProvider.System);
        using var failures = new CounterProbe(parts.MeterFactory, "gateway.usage.flush_failures");
        await parts.Connection.Database.PingAsync();

        var day = UsageDays.Of(DateTimeOffset.UtcNow);
        var key = UsageParts.Key("kf");
        Record(parts.Counters, key, ScopeTarget.Endpoint("ep1"), allowed: true, times: 7);
        Record(parts.Counters, key, ScopeTarget.GraphQLApi, allowed: false, times: 3);
        const string Expected = "{endpoint:ep1:allowed=7, graphql:denied=3}";

        relay.DropReplies();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var flush = parts.Flusher.FlushRemainingAsync(deadline.Token);
        // Redis has applied the batch, but the flusher never heard so.
        await Eventually.TrueAsync(async () => await ShowAsync("kf", day) == Expected, "the batch to be applied behind the relay");
        Assert.False(flush.IsCompleted);

        relay.CutAndRecover();
        await flush;

        Assert.False(deadline.IsCancellationRequested);
        Assert.True(failures.Value >= 1, "the lost reply should have failed at least one attempt");
        Assert.Equal(Expected, await ShowAsync("kf", day));

        // The next batch has the next sequence and adds; nothing of the first is left to write.
        Record(parts.Counters, key, ScopeTarget.Endpoint("ep1"), allowed: true, times: 2);
        await parts.Flusher.FlushRemainingAsync(deadline.Token);
        Assert.Equal("{endpoint:ep1:allowed=9, graphql:denied=3}", await ShowAsync("kf", day));
    }

    private static void Record(UsageCounters counters, ApiKey key, ScopeTarget target, bool allowed, int times)
    {
        for (var i = 0; i < times; i++)
        {
            counters.Record(key, target, allowed);
        }
    }

    private static UsageDelta Delta(string keyId, int day, string? endpoint, long allowed, long denied, long lastUsed = 1) =>
        new(new UsageSlot(keyId, day, endpoint), allowed, denied, lastUsed);

    private async Task<string> ShowAsync(string keyId, int day) =>
        UsageRedis.Show(await Reader.CountsAsync(keyId, [UsageDays.Format(day)]));
}
