using System.Diagnostics.Metrics;
using Gateway.Caching;
using Gateway.Configuration;
using Gateway.Keys;
using Gateway.Observability;
using Gateway.Store;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Polly;
using Polly.Simmy;
using Polly.Simmy.Behavior;
using Polly.Simmy.Fault;

namespace Gateway.Tests.Caching;

/// <summary>
/// Refresh-ahead (<c>Cache:RefreshAhead</c>, KeyCache.RefreshAhead.cs) on its own, over a real store, with a fake clock.
/// Every store call of the cache passes <see cref="StoreGate"/>, which counts them: a version check is one call, a
/// check that finds a change is two (the check, then the full read). No invalidation subscriber runs here, so every
/// admin write below is one whose message was lost.
/// </summary>
public sealed partial class RefreshAheadTests : KeyCacheTest
{
    private static readonly TimeSpan L1Ttl = TimeSpan.FromSeconds(30);

    // The default window, the last quarter of L1Ttl: checks start from 22.5 s on.
    private static readonly TimeSpan WindowStart = L1Ttl - L1Ttl / 4;
    private readonly StoreGate _gate = new();
    private readonly MetricCollector<long> _refreshes;

    public RefreshAheadTests()
    {
        _refreshes = new MetricCollector<long>(Meters, GatewayMetrics.MeterName, "gateway.key_cache.refreshes");
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _refreshes.Dispose();
        }

        base.Dispose(disposing);
    }

    [Fact]
    public async Task HitInTheWindow_IsServedAtOnce_AndStartsExactlyOneCheck()
    {
        using var lookups = LookupCollector();
        using var cache = Cache(new CacheOptions { L1Ttl = L1Ttl });
        var (digest, _) = await CreateAsync("window");
        await ReadAsync(cache, digest);
        Assert.Equal(1, _gate.Calls);

        // Just before the window a hit is only a hit.
        Time.Advance(WindowStart - TimeSpan.FromTicks(1));
        Assert.True(cache.TryLookupInMemory(digest, out _));
        Assert.Equal(0, cache.InFlight);

        // In it, every hit is answered from memory at once while the one check waits on the store.
        _gate.Hold();
        Time.Advance(TimeSpan.FromTicks(1));
        AssertServedFromMemory(cache, digest, 100);
        await Eventually.TrueAsync(() => _gate.Calls == 2, "the check to reach the store");
        AssertServedFromMemory(cache, digest, 100);
        Assert.Equal(1, cache.InFlight);

        _gate.Release();
        await Eventually.TrueAsync(() => cache.InFlight == 0, "the check to end");
        Assert.Equal(2, _gate.Calls);
        Assert.Equal(["unchanged"], Results(_refreshes));
        // A refresh is not a lookup: the count of store reads requests waited for stays at the first one.
        Assert.Equal(1, StoreLookups(lookups));
    }

    [Fact]
    public async Task HitsInTheWindow_WhileTheCheckRuns_AllocateNothing()
    {
        using var cache = Cache(new CacheOptions { L1Ttl = L1Ttl });
        var (digest, _) = await CreateAsync("window-alloc");
        await ReadAsync(cache, digest);
        Time.Advance(WindowStart);
        _gate.Hold();
        Assert.True(cache.TryLookupInMemory(digest, out _));
        await Eventually.TrueAsync(() => _gate.Calls == 2, "the check to reach the store");

        ServedFromMemory(cache, digest, 1);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var served = ServedFromMemory(cache, digest, 1000);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(1000, served);
        _gate.Release();
        await Eventually.TrueAsync(() => cache.InFlight == 0, "the check to end");
    }

    [Fact]
    public async Task UnchangedVersion_ExtendsTheEntryFromWhenTheCheckBegan_WithoutAFullRead()
    {
        // The sweep held: the read filed the entry for a check at 23 s, and this test is about the check a request in
        // the window starts.
        using var cache = Cache(new CacheOptions { L1Ttl = L1Ttl }, new HeldSweepClock(Time));
        var (digest, _) = await CreateAsync("unchanged");
        await ReadAsync(cache, digest);

        Time.Advance(TimeSpan.FromSeconds(25));
        _gate.Hold();
        Assert.True(cache.TryLookupInMemory(digest, out _));
        await Eventually.TrueAsync(() => _gate.Calls == 2, "the check to reach the store");
        // The answer comes 0.4 s after the check began (within Cache:StoreTimeout, which runs on this clock too): the
        // entry's new freshness counts from the beginning.
        Time.Advance(TimeSpan.FromMilliseconds(400));
        _gate.Release();
        await Eventually.TrueAsync(() => cache.InFlight == 0, "the check to end");
        Assert.Equal(2, _gate.Calls);
        Assert.Equal(["unchanged"], Results(_refreshes));

        // At 39.4 s the first read's freshness is long over, the check's holds (and 39.4 s is before its window, which
        // opens at 55 s - 7.5 s).
        Time.Advance(TimeSpan.FromSeconds(14));
        Assert.True(cache.TryLookupInMemory(digest, out var extended));
        Assert.Equal(LookupStatus.Found, extended.Status);
        Assert.Equal(2, _gate.Calls);

        // 25 s + L1Ttl: over, not at 25.4 s + L1Ttl (the sweep is held, so nothing else checks the key meanwhile).
        Time.Advance(TimeSpan.FromSeconds(15.6));
        Assert.False(cache.TryLookupInMemory(digest, out _));
        Assert.Equal(2, _gate.Calls);
    }

    [Fact]
    public async Task AKeyUsedBeforeItsWindow_IsCheckedByTheSweepWhenTheWindowOpens_AnIdleOneOnlyOnce()
    {
        using var cache = Cache(new CacheOptions { L1Ttl = L1Ttl });
        var (used, _) = await CreateAsync("swept");
        var (idle, _) = await CreateAsync("idle");
        await ReadAsync(cache, used);
        await ReadAsync(cache, idle);
        Assert.Equal(2, _gate.Calls);

        // Used at 5 s, long before its window (22.5 s to 30 s), and not again.
        Time.Advance(TimeSpan.FromSeconds(5));
        Assert.True(cache.TryLookupInMemory(used, out _));
        Time.Advance(TimeSpan.FromSeconds(17));
        Assert.Equal(2, _gate.Calls);

        // The window opens at 22.5 s: the sweep (at 23 s) checks both with no request for either, since each read files
        // its entry for one check (a key idle for one L1Ttl is kept).
        Time.Advance(TimeSpan.FromSeconds(1));
        await Eventually.TrueAsync(() => Results(_refreshes).Count == 2 && cache.InFlight == 0, "the sweep's checks to end");
        Assert.Equal(["unchanged", "unchanged"], Results(_refreshes));
        // Two reads, then both checks in one batch (one store call).
        Assert.Equal(3, _gate.Calls);

        // At 31 s both are fresh from the checks (23 s + L1Ttl), past the reads' 30 s. Only the used key's new entry is
        // filed again: the idle one's was a kept entry no request used.
        Time.Advance(TimeSpan.FromSeconds(8));
        Assert.Equal(1, cache.QueuedForSweep);

        // A request for the idle key at 31 s is served from memory, and its use files the entry like any first use.
        AssertServedFromMemory(cache, idle, 1);
        Assert.Equal(2, cache.QueuedForSweep);
        Assert.Equal(3, _gate.Calls);
        await Eventually.TrueAsync(() => cache.InFlight == 0, "any check to end");
    }

    [Fact]
    public async Task AKeyReadAndNeverUsed_IsCheckedOnce_ThenEnds()
    {
        using var cache = Cache(new CacheOptions { L1Ttl = L1Ttl });
        var (digest, _) = await CreateAsync("read-never-used");
        await ReadAsync(cache, digest);
        Assert.Equal(1, cache.QueuedForSweep);

        // Its read filed it: checked at 23 s, fresh until 53 s, and not filed again.
        Time.Advance(TimeSpan.FromSeconds(23));
        await Eventually.TrueAsync(() => Results(_refreshes).Count == 1 && cache.InFlight == 0, "the check to end");
        Assert.Equal(0, cache.QueuedForSweep);
        Assert.Equal(2, _gate.Calls);

        // No check after that: at 54 s the entry is over (a request would read the store), and the store saw nothing more.
        Time.Advance(TimeSpan.FromSeconds(31));
        Assert.False(cache.TryLookupInMemory(digest, out _));
        Assert.Equal(2, _gate.Calls);
        Assert.Equal(["unchanged"], Results(_refreshes));
    }

    [Fact]
    public async Task AdminDisable_WithItsMessageLost_IsPickedUpByTheCheck()
    {
        // The sweep held: the read filed the entry for a check at 23 s, and this test is about the check a request in
        // the window starts.
        using var cache = Cache(new CacheOptions { L1Ttl = L1Ttl }, new HeldSweepClock(Time));
        var (digest, id) = await CreateAsync("disabled");
        await ReadAsync(cache, digest);
        Assert.Equal(KeyWriteStatus.Written, (await Store.UpdateAsync(id, key => key with { Enabled = false })).Status);

        Time.Advance(TimeSpan.FromSeconds(25));
        // Served at once with what memory holds (the change is 25 s old, within L1Ttl)...
        Assert.True(cache.TryLookupInMemory(digest, out var served));
        Assert.True(served.Key!.Enabled);
        // ...and the check sees the version moved and reads the record in full.
        await Eventually.TrueAsync(() => cache.TryLookupInMemory(digest, out var now) && now.Key?.Enabled == false, "the disable to be in memory");
        Assert.Equal(3, _gate.Calls);
        Assert.Equal(["reloaded"], Results(_refreshes));
    }

    [Fact]
    public async Task AdminDelete_WithItsMessageLost_IsPickedUpByTheCheck()
    {
        // The sweep held: the read filed the entry for a check at 23 s, and this test is about the check a request in
        // the window starts.
        using var cache = Cache(new CacheOptions { L1Ttl = L1Ttl }, new HeldSweepClock(Time));
        var (digest, id) = await CreateAsync("deleted");
        await ReadAsync(cache, digest);
        Assert.Equal(KeyWriteStatus.Written, (await Store.DeleteAsync(id)).Status);

        Time.Advance(TimeSpan.FromSeconds(25));
        Assert.True(cache.TryLookupInMemory(digest, out _));
        await Eventually.TrueAsync(() => cache.TryLookupInMemory(digest, out var now) && now.Status == LookupStatus.NotFound, "the key to be known as gone");
        Assert.Equal(0, cache.Count);
        Assert.Equal(["removed"], Results(_refreshes));
    }

    [Fact]
    public async Task SameHashStoredAgain_AtTheSameVersion_IsReadInFull()
    {
        // A legacy key deleted and imported again: a new record under the same hash, at version 1 like the old one.
        // The sweep held: the read filed the entry for a check at 23 s, and this test is about the check a request in
        // the window starts.
        using var cache = Cache(new CacheOptions { L1Ttl = L1Ttl }, new HeldSweepClock(Time));
        var plaintext = CacheProbe.NewLegacyToken();
        var digest = KeyDigest.Compute(plaintext);
        var first = Key("first", plaintext);
        Assert.True(await Store.CreateAsync(first, digest, announce: true));
        await ReadAsync(cache, digest);
        Assert.Equal(KeyWriteStatus.Written, (await Store.DeleteAsync(first.Id)).Status);
        var second = Key("second", plaintext) with { Scopes = new KeyScopes(AccessLevel.Read, new Dictionary<string, AccessLevel>()) };
        Assert.True(await Store.CreateAsync(second, digest, announce: true));

        Time.Advance(TimeSpan.FromSeconds(25));
        Assert.True(cache.TryLookupInMemory(digest, out var served));
        Assert.Equal(first.Id, served.Key!.Id);
        await Eventually.TrueAsync(() => cache.TryLookupInMemory(digest, out var now) && now.Key?.Id == second.Id, "the new record to be in memory");
        Assert.Equal(["reloaded"], Results(_refreshes));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task InvalidationRacingTheCheck_Wins(bool clearAll)
    {
        // The sweep held: the read filed the entry for a check at 23 s, and this test is about the check a request in
        // the window starts.
        using var cache = Cache(new CacheOptions { L1Ttl = L1Ttl }, new HeldSweepClock(Time));
        var (digest, _) = await CreateAsync("race");
        await ReadAsync(cache, digest);
        Time.Advance(TimeSpan.FromSeconds(25));
        _gate.Hold();
        Assert.True(cache.TryLookupInMemory(digest, out _));
        await Eventually.TrueAsync(() => _gate.Calls == 2, "the check to reach the store");

        if (clearAll)
        {
            cache.Clear();
        }
        else
        {
            cache.Invalidate(digest);
        }

        // A miss after the invalidation does not join the check (it may have read the store before the write the
        // invalidation announces; SECURITY.md 22): it makes its own read, whose answer is what memory then holds...
        var after = cache.LookupAsync(digest).AsTask();
        await Eventually.TrueAsync(() => _gate.Calls == 3, "the miss's own read to reach the store");
        _gate.Release();
        Assert.Equal(LookupStatus.Found, (await after).Status);
        // The invalidation took the check out of the flights, so InFlight does not say when it ends; its count does.
        await Eventually.TrueAsync(() => Results(_refreshes).Count == 1, "the check to end");
        Assert.Equal(0, cache.InFlight);
        Assert.Equal(3, _gate.Calls);

        // ...and the check that began before the invalidation neither extends nor replaces that entry.
        Assert.Equal(["superseded"], Results(_refreshes));
        Assert.True(cache.TryLookupInMemory(digest, out var held));
        Assert.Same((await after).Key, held.Key);
        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public async Task FailedCheck_ChangesNothing_TheEntryEndsAtItsOwnTime_ThenStaleIfError()
    {
        using var lookups = LookupCollector();
        // The sweep held: the read filed the entry for a check at 23 s, and this test is about the check a request in
        // the window starts.
        using var cache = Cache(new CacheOptions { L1Ttl = L1Ttl, StaleIfErrorTtl = TimeSpan.FromSeconds(60) }, new HeldSweepClock(Time));
        var (digest, _) = await CreateAsync("failing");
        await ReadAsync(cache, digest);
        _gate.Fail = true;

        Time.Advance(TimeSpan.FromSeconds(25));
        Assert.True(cache.TryLookupInMemory(digest, out _));
        await Eventually.TrueAsync(() => cache.InFlight == 0 && Results(_refreshes).Contains("error"), "the check to fail");

        Time.Advance(TimeSpan.FromSeconds(5) - TimeSpan.FromTicks(1));
        Assert.True(cache.TryLookupInMemory(digest, out _));
        await Eventually.TrueAsync(() => cache.InFlight == 0, "the second check to fail");
        Assert.DoesNotContain("unchanged", Results(_refreshes));

        Time.Advance(TimeSpan.FromTicks(1));
        Assert.False(cache.TryLookupInMemory(digest, out _));
        // Past it, the request path reads, fails, and serves the last known state (stale-if-error) as before.
        Assert.Equal(0, StoreLookups(lookups, "error"));
        Assert.Equal(LookupStatus.Found, (await cache.LookupAsync(digest)).Status);
        Assert.Equal(1, StoreLookups(lookups, "error"));

        Time.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(LookupStatus.StoreUnavailable, (await cache.LookupAsync(digest)).Status);
    }

    [Fact]
    public async Task RefreshAheadZero_NoCheckEver_TheEntryEndsAtL1Ttl()
    {
        using var cache = Cache(new CacheOptions { L1Ttl = L1Ttl, RefreshAhead = TimeSpan.Zero });
        var (digest, _) = await CreateAsync("off");
        await ReadAsync(cache, digest);

        Time.Advance(L1Ttl - TimeSpan.FromTicks(1));
        Assert.True(cache.TryLookupInMemory(digest, out _));
        Assert.Equal(0, cache.InFlight);
        Assert.Equal(1, _gate.Calls);

        Time.Advance(TimeSpan.FromTicks(1));
        Assert.False(cache.TryLookupInMemory(digest, out _));
        Assert.Empty(_refreshes.GetMeasurementSnapshot());
    }

    private static void AssertServedFromMemory(KeyCache cache, KeyDigest digest, int times) =>
        Assert.Equal(times, ServedFromMemory(cache, digest, times));

    private static int ServedFromMemory(KeyCache cache, KeyDigest digest, int times)
    {
        var served = 0;
        for (var i = 0; i < times; i++)
        {
            // The ValueTask's completion is read without awaiting on purpose: a hit must complete synchronously.
#pragma warning disable CA2012
            var lookup = cache.LookupAsync(digest);
            served += lookup.IsCompletedSuccessfully && lookup.Result.Status == LookupStatus.Found ? 1 : 0;
#pragma warning restore CA2012
        }

        return served;
    }

    private static List<string> Results(MetricCollector<long> collector) =>
        collector.GetMeasurementSnapshot().Select(m => (string)m.Tags["result"]!).ToList();

    private CounterReader LookupCollector() => new(Services.GetRequiredService<IMeterFactory>(), "gateway.key_cache.lookups");

    private static long StoreLookups(CounterReader lookups, string? result = null) =>
        result is null ? lookups.Count(("tier", "l2")) : lookups.Count(("tier", "l2"), ("result", result));

    // A read's flight is removed just after its answer is given, and a hit while it is still there starts no check: wait
    // for it, so a hit in the window that follows always starts one.
    private static async Task ReadAsync(KeyCache cache, KeyDigest digest)
    {
        await cache.LookupAsync(digest);
        await Eventually.TrueAsync(() => cache.InFlight == 0, "the read to end");
    }

    private KeyCache Cache(CacheOptions options) => NewCache(options, _gate);

    private ApiKey Key(string name, string plaintext) =>
        new(KeyIds.NewId(), name, KeyKind.Rpa, KeyFormat.DisplayPrefix(plaintext), true, Time.GetUtcNow(), null, null, KeyScopes.All)
        {
            Version = KeyStore.FirstVersion,
        };

    private async Task<(KeyDigest Digest, string Id)> CreateAsync(string name)
    {
        var plaintext = KeyFormat.Generate();
        var digest = KeyDigest.Compute(plaintext);
        var key = Key(name, plaintext);
        Assert.True(await Store.CreateAsync(key, digest, announce: true));
        return (digest, key.Id);
    }

    /// <summary>Counts every store call of the cache; holds them while <see cref="Hold"/> is in force; fails them while <see cref="Fail"/> is set.</summary>
    private sealed class StoreGate : IStoreReadChaos
    {
        private int _calls;
        private TaskCompletionSource _open = Opened();

        public bool Fail { get; set; }

        public int Calls => Volatile.Read(ref _calls);

        public void Hold() => Volatile.Write(ref _open, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

        public void Release() => Volatile.Read(ref _open).TrySetResult();

        public void Configure(ResiliencePipelineBuilder builder) => builder
            .AddChaosBehavior(new ChaosBehaviorStrategyOptions
            {
                InjectionRate = 1,
                BehaviorGenerator = async _ =>
                {
                    Interlocked.Increment(ref _calls);
                    await Volatile.Read(ref _open).Task;
                },
            })
            .AddChaosFault(new ChaosFaultStrategyOptions
            {
                InjectionRate = 1,
                EnabledGenerator = _ => ValueTask.FromResult(Fail),
                FaultGenerator = _ => ValueTask.FromResult<Exception?>(new TimeoutException("injected")),
            });

        private static TaskCompletionSource Opened()
        {
            var open = new TaskCompletionSource();
            open.SetResult();
            return open;
        }
    }
}
