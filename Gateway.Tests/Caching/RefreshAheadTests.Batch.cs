using Gateway.Caching;
using Gateway.Keys;
using Gateway.Store;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Caching;

/// <summary>
/// The sweep's batches (KeyCache.RefreshBatch.cs): the keys one sweep starts are checked together, one pipeline execution
/// per batch of at most <see cref="KeyCache.MaxRefreshBatch"/>, and each key keeps the outcome, the flight and the
/// guarantees of a check of its own. <see cref="StoreGate"/> counts pipeline executions, so a batch is one call however
/// many keys it holds. Keys here are read at 0 s and used at 5 s: filed for the sweep at 23 s (their window opens at
/// 22.5 s), which takes them all at once.
/// </summary>
public sealed partial class RefreshAheadTests
{
    // So the tests can hold a batch while the clock moves on: the pipeline's timeout runs on the fake clock too.
    private static readonly TimeSpan LongStoreTimeout = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task OneSweep_UnchangedChangedAndDeletedKeys_OneExecution_EachItsOwnOutcome()
    {
        using var cache = Cache(new CacheOptions { L1Ttl = L1Ttl });
        var (unchanged, _) = await CreateAsync("batch-unchanged");
        var (changed, changedId) = await CreateAsync("batch-changed");
        var (deleted, deletedId) = await CreateAsync("batch-deleted");
        await ReadAllAsync(cache, unchanged, changed, deleted);
        // Written after the reads, with their messages lost (no subscriber here): only the checks can find them.
        Assert.Equal(KeyWriteStatus.Written, (await Store.UpdateAsync(changedId, key => key with { Enabled = false })).Status);
        Assert.Equal(KeyWriteStatus.Written, (await Store.DeleteAsync(deletedId)).Status);

        await SweepAsync(cache, [unchanged, changed, deleted]);
        Assert.Equal(["reloaded", "removed", "unchanged"], Results(_refreshes).Order());
        // Three reads, ONE execution for the three checks, then a full read for each of the two that moved.
        Assert.Equal(3 + 1 + 2, _gate.Calls);

        // The deleted key is known as gone (for NegativeTtl); at 31 s the unchanged key is fresh from the check (23 s +
        // L1Ttl), past its read's 30 s, and the changed one holds its new state.
        Assert.True(cache.TryLookupInMemory(deleted, out var gone));
        Assert.Equal(LookupStatus.NotFound, gone.Status);
        Time.Advance(TimeSpan.FromSeconds(8));
        Assert.True(cache.TryLookupInMemory(unchanged, out var kept));
        Assert.Equal(LookupStatus.Found, kept.Status);
        Assert.True(cache.TryLookupInMemory(changed, out var disabled));
        Assert.False(disabled.Key!.Enabled);
        Assert.Equal(6, _gate.Calls);
    }

    [Fact]
    public async Task MoreDueKeysThanABatch_AreCheckedInSeveralBatches_EveryOne()
    {
        const int Keys = KeyCache.MaxRefreshBatch + 44;
        using var cache = Cache(new CacheOptions { L1Ttl = L1Ttl });
        var digests = (await Task.WhenAll(Enumerable.Range(0, Keys).Select(i => CreateAsync($"batch-{i}")))).Select(k => k.Digest).ToArray();
        await ReadAllAsync(cache, digests);
        Assert.Equal(Keys, _gate.Calls);

        await SweepAsync(cache, digests);
        Assert.Equal(Enumerable.Repeat("unchanged", Keys), Results(_refreshes));
        // 256 + 44: two executions for 300 checks.
        Assert.Equal(Keys + 2, _gate.Calls);

        // Every one extended from the sweep: fresh at 31 s, past the reads' 30 s.
        Time.Advance(TimeSpan.FromSeconds(8));
        Assert.All(digests, digest => Assert.True(cache.TryLookupInMemory(digest, out var lookup) && lookup.Status == LookupStatus.Found));
        Assert.Equal(Keys + 2, _gate.Calls);
    }

    [Fact]
    public async Task InvalidationOfOneKey_WhileItsBatchRuns_IsNotUndone_TheOthersAreExtended()
    {
        using var cache = Cache(new CacheOptions { L1Ttl = L1Ttl, StoreTimeout = LongStoreTimeout });
        var (invalidated, _) = await CreateAsync("batch-invalidated");
        var (other, _) = await CreateAsync("batch-other");
        await ReadAllAsync(cache, invalidated, other);
        UseAt5s(cache, invalidated, other);

        _gate.Hold();
        Time.Advance(TimeSpan.FromSeconds(18));
        await Eventually.TrueAsync(() => _gate.Calls == 3, "the batch to reach the store");
        Assert.Equal(2, cache.InFlight);

        cache.Invalidate(invalidated);
        // A miss after the invalidation does not join the batch (it may have read the store before the write the
        // invalidation announces): it makes its own read.
        var after = cache.LookupAsync(invalidated).AsTask();
        await Eventually.TrueAsync(() => _gate.Calls == 4, "the miss's own read to reach the store");
        _gate.Release();
        var read = await after;
        Assert.Equal(LookupStatus.Found, read.Status);
        await Eventually.TrueAsync(() => Results(_refreshes).Count == 2 && cache.InFlight == 0, "the batch to end");

        // The batch found both records unchanged, and still extended only the entry it saw: the invalidated key's is gone,
        // so what memory holds for it is the miss's read, not the batch's key.
        Assert.Equal(["superseded", "unchanged"], Results(_refreshes).Order());
        Assert.True(cache.TryLookupInMemory(invalidated, out var held));
        Assert.Same(read.Key, held.Key);
        Time.Advance(TimeSpan.FromSeconds(8));
        Assert.True(cache.TryLookupInMemory(other, out var extended));
        Assert.Equal(LookupStatus.Found, extended.Status);
        Assert.Equal(4, _gate.Calls);
    }

    [Fact]
    public async Task FailedBatch_ChangesNoEntry_EachKeyCountsAnError()
    {
        using var cache = Cache(new CacheOptions { L1Ttl = L1Ttl });
        var digests = (await Task.WhenAll(Enumerable.Range(0, 3).Select(i => CreateAsync($"batch-failing-{i}")))).Select(k => k.Digest).ToArray();
        await ReadAllAsync(cache, digests);
        _gate.Fail = true;

        await SweepAsync(cache, digests);
        Assert.Equal(["error", "error", "error"], Results(_refreshes));
        Assert.Equal(3 + 1, _gate.Calls);

        // Every entry ends at its own time (30 s), not extended, not dropped. (The hits just before it are in the window
        // and start checks of their own, which fail too.)
        Time.Advance(TimeSpan.FromSeconds(7) - TimeSpan.FromTicks(1));
        Assert.All(digests, digest => Assert.True(cache.TryLookupInMemory(digest, out var lookup) && lookup.Status == LookupStatus.Found));
        await Eventually.TrueAsync(() => cache.InFlight == 0, "the request-path checks to fail");
        Assert.DoesNotContain("unchanged", Results(_refreshes));
        Time.Advance(TimeSpan.FromTicks(1));
        Assert.All(digests, digest => Assert.False(cache.TryLookupInMemory(digest, out _)));
    }

    [Fact]
    public async Task MissOfAKeyInARunningBatch_JoinsIt_NoReadOfItsOwn()
    {
        using var lookups = LookupCollector();
        using var cache = Cache(new CacheOptions { L1Ttl = L1Ttl, StoreTimeout = LongStoreTimeout });
        var (missed, _) = await CreateAsync("batch-missed");
        var (other, _) = await CreateAsync("batch-joined-other");
        await ReadAllAsync(cache, missed, other);
        UseAt5s(cache, missed, other);

        _gate.Hold();
        Time.Advance(TimeSpan.FromSeconds(18));
        await Eventually.TrueAsync(() => _gate.Calls == 3, "the batch to reach the store");

        // At 30 s the entries' freshness is over while the batch is still held: a request misses, and joins the key's
        // flight in the batch (the join is synchronous: no store call is started).
        Time.Advance(TimeSpan.FromSeconds(7));
        var miss = cache.LookupAsync(missed).AsTask();
        Assert.False(miss.IsCompleted);
        Assert.Equal(2, cache.InFlight);
        Assert.Equal(3, _gate.Calls);

        _gate.Release();
        Assert.Equal(LookupStatus.Found, (await miss).Status);
        await Eventually.TrueAsync(() => cache.InFlight == 0, "the batch to end");
        Assert.Equal(["unchanged", "unchanged"], Results(_refreshes));
        Assert.Equal(3, _gate.Calls);
        // The two first reads are the only store reads a request waited for.
        Assert.Equal(2, StoreLookups(lookups));
        // Extended from 23 s: fresh at 30 s again.
        Assert.True(cache.TryLookupInMemory(missed, out var held));
        Assert.Equal(LookupStatus.Found, held.Status);
    }

    [Fact]
    public async Task AKeyAlreadyInFlight_IsLeftOutOfTheBatch()
    {
        using var cache = Cache(new CacheOptions { L1Ttl = L1Ttl, StoreTimeout = LongStoreTimeout });
        var (checking, _) = await CreateAsync("batch-in-flight");
        var (other, _) = await CreateAsync("batch-not-in-flight");
        await ReadAllAsync(cache, checking, other);
        UseAt5s(cache, checking, other);

        // At 22.6 s, in its window, a hit starts the key's own check (held), before the sweep at 23 s.
        _gate.Hold();
        Time.Advance(TimeSpan.FromSeconds(17.6));
        Assert.True(cache.TryLookupInMemory(checking, out _));
        await Eventually.TrueAsync(() => _gate.Calls == 3, "the request's check to reach the store");

        // The sweep takes both filed keys and checks only the other one.
        Time.Advance(TimeSpan.FromSeconds(0.4));
        await Eventually.TrueAsync(() => _gate.Calls == 4, "the batch to reach the store");
        Assert.Equal(2, cache.InFlight);
        _gate.Release();
        await Eventually.TrueAsync(() => cache.InFlight == 0, "both checks to end");
        Assert.Equal(["unchanged", "unchanged"], Results(_refreshes));
        Assert.Equal(4, _gate.Calls);
    }

    private static async Task ReadAllAsync(KeyCache cache, params KeyDigest[] digests)
    {
        var reads = await Task.WhenAll(digests.Select(digest => cache.LookupAsync(digest).AsTask()));
        Assert.All(reads, read => Assert.Equal(LookupStatus.Found, read.Status));
        await Eventually.TrueAsync(() => cache.InFlight == 0, "the reads to end");
    }

    // Used at 5 s, before their window: filed for the sweep at 23 s.
    private void UseAt5s(KeyCache cache, params KeyDigest[] digests)
    {
        Time.Advance(TimeSpan.FromSeconds(5));
        foreach (var digest in digests)
        {
            Assert.True(cache.TryLookupInMemory(digest, out _));
        }

        Assert.Equal(digests.Length, cache.QueuedForSweep);
    }

    // Uses the keys at 5 s, then moves to 23 s, whose sweep checks them all; waits until every check has an outcome.
    private async Task SweepAsync(KeyCache cache, KeyDigest[] digests)
    {
        UseAt5s(cache, digests);
        var before = _gate.Calls;
        Time.Advance(TimeSpan.FromSeconds(17));
        Assert.Equal(before, _gate.Calls);
        Time.Advance(TimeSpan.FromSeconds(1));
        await Eventually.TrueAsync(() => Results(_refreshes).Count == digests.Length && cache.InFlight == 0, "the sweep's checks to end");
    }
}
