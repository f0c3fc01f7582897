using Gateway.Caching;
using Gateway.Configuration;
using Gateway.Keys;
using Gateway.Tests.Infrastructure;
using Polly;
using Polly.Simmy;
using Polly.Simmy.Behavior;
using Polly.Simmy.Fault;

namespace Gateway.Tests.Caching;

/// <summary>
/// <see cref="KeyCache"/> on its own, over a real store, with a fake clock: every behaviour of its two tables that the
/// end-to-end tests cannot pin to the tick (issue 11 replaced MemoryCache with <see cref="DigestTable"/>).
/// </summary>
public sealed class KeyCacheTests : KeyCacheTest
{
    private readonly StoreGate _gate = new();

    [Fact]
    public async Task FoundKey_IsServedFromMemory_UntilL1TtlAndNotAfter()
    {
        // Refresh-ahead off: the hit just before L1Ttl would otherwise start a check that renews the entry
        // (RefreshAheadTests: with it on, an entry ends at L1Ttl from the read or check that last confirmed it).
        using var cache = Cache(new CacheOptions { L1Ttl = TimeSpan.FromSeconds(30), RefreshAhead = TimeSpan.Zero });
        var digest = await CreateAsync("ttl");

        Assert.Equal(LookupStatus.Found, (await cache.LookupAsync(digest)).Status);
        Time.Advance(TimeSpan.FromSeconds(30) - TimeSpan.FromTicks(1));
        Assert.True(cache.TryLookupInMemory(digest, out var hit));
        Assert.Equal(LookupStatus.Found, hit.Status);

        Time.Advance(TimeSpan.FromTicks(1));
        Assert.False(cache.TryLookupInMemory(digest, out _));
    }

    [Fact]
    public async Task Hit_AllocatesNothing()
    {
        using var cache = Cache(new CacheOptions());
        var digest = await CreateAsync("alloc");
        await cache.LookupAsync(digest);
        // The ValueTask's completion is read without awaiting on purpose: a hit must complete synchronously.
#pragma warning disable CA2012
        Assert.True(cache.LookupAsync(digest).IsCompletedSuccessfully);

        var hits = 0;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            hits += cache.LookupAsync(digest).IsCompletedSuccessfully && cache.TryLookupInMemory(digest, out var hit) && hit.Key is not null ? 1 : 0;
        }
#pragma warning restore CA2012

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(1000, hits);
    }

    [Fact]
    public async Task UnknownKey_IsRememberedForNegativeTtlOnly()
    {
        using var cache = Cache(new CacheOptions { NegativeTtl = TimeSpan.FromSeconds(5) });
        var unknown = KeyDigest.Compute(KeyFormat.Generate());

        Assert.Equal(LookupStatus.NotFound, (await cache.LookupAsync(unknown)).Status);
        Assert.True(cache.TryLookupInMemory(unknown, out var remembered));
        Assert.Equal(LookupStatus.NotFound, remembered.Status);

        Time.Advance(TimeSpan.FromSeconds(5));
        Assert.False(cache.TryLookupInMemory(unknown, out _));
    }

    [Fact]
    public async Task FloodOfUnknownKeys_PastNegativeMaxEntries_KeepsFoundKeysAndStaysBounded()
    {
        using var cache = Cache(new CacheOptions { NegativeMaxEntries = 10, L1MaxEntries = 10 });
        var known = await CreateAsync("kept");
        await cache.LookupAsync(known);

        for (var i = 0; i < 100; i++)
        {
            Assert.Equal(LookupStatus.NotFound, (await cache.LookupAsync(KeyDigest.Compute(KeyFormat.Generate()))).Status);
        }

        await Eventually.TrueAsync(() => cache.UnknownCount <= 10, "the negative table to shrink to its bound");
        Assert.True(cache.TryLookupInMemory(known, out var hit));
        Assert.Equal(LookupStatus.Found, hit.Status);
        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public async Task PastL1MaxEntries_TheLeastRecentlyFetchedAreDropped()
    {
        using var cache = Cache(new CacheOptions { L1MaxEntries = 10 });
        var digests = new List<KeyDigest>();
        for (var i = 0; i < 11; i++)
        {
            digests.Add(await CreateAsync("bound" + i));
        }

        foreach (var digest in digests)
        {
            await cache.LookupAsync(digest);
            Time.Advance(TimeSpan.FromMilliseconds(100));
        }

        await Eventually.TrueAsync(() => cache.Count <= 10, "L1 to shrink to its bound");
        Assert.False(cache.TryLookupInMemory(digests[0], out _));
        Assert.True(cache.TryLookupInMemory(digests[^1], out _));
    }

    [Fact]
    public async Task ConcurrentMisses_ShareOneStoreRead_AndARacingInvalidationIsNotCachedOver()
    {
        using var cache = Cache(new CacheOptions());
        var digest = await CreateAsync("race");
        _gate.Closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var lookups = Enumerable.Range(0, 50).Select(_ => cache.LookupAsync(digest).AsTask()).ToArray();
        await Eventually.TrueAsync(() => _gate.Waiting > 0, "the store read to start");
        cache.Invalidate(digest);
        _gate.Closed.SetResult();

        Assert.All(await Task.WhenAll(lookups), lookup => Assert.Equal(LookupStatus.Found, lookup.Status));
        // Every store read passes the gate while it is set: one read served all fifty lookups.
        Assert.Equal(1, _gate.Waiting);
        // The read began before the invalidation: its answer is given, but not kept.
        Assert.False(cache.TryLookupInMemory(digest, out _));
    }

    [Fact]
    public async Task MissJustBeforeAnotherReadFinished_IsAnsweredFromL1_NotASecondRead()
    {
        using var cache = Cache(new CacheOptions());
        var digest = await CreateAsync("late-miss");
        // Counts every store read: the gate is open (already completed), so reads pass at once.
        _gate.Closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _gate.Closed.SetResult();

        // A request misses L1 (its answer is not in memory yet)...
        Assert.False(cache.TryLookupInMemory(digest, out _));
        // ...then another request's read runs to its end, fills L1 and leaves the flight...
        Assert.Equal(LookupStatus.Found, (await cache.LookupAsync(digest)).Status);
        Assert.Equal(1, _gate.Waiting);
        // ...and only then does the first one go on to the store path: it is answered from L1. The CI cluster pass saw
        // two reads for fifty concurrent misses of one key before this (L1HitTests).
        Assert.Equal(LookupStatus.Found, (await cache.LookupInStoreAsync(digest)).Status);
        Assert.Equal(1, _gate.Waiting);
    }

    [Fact]
    public async Task StoreFailing_PastL1Ttl_ServesTheLastKnownStateForStaleIfErrorTtlOnly()
    {
        using var cache = Cache(new CacheOptions { L1Ttl = TimeSpan.FromSeconds(1), StaleIfErrorTtl = TimeSpan.FromSeconds(10) });
        var digest = await CreateAsync("stale");
        await cache.LookupAsync(digest);
        _gate.Fail = true;

        Time.Advance(TimeSpan.FromSeconds(11) - TimeSpan.FromTicks(1));
        Assert.Equal(LookupStatus.Found, (await cache.LookupAsync(digest)).Status);
        // The failed read's flight ended before it answered: the next lookup reads again instead of joining that answer
        // (CI's cluster run once got this stale answer a tick past the window, when the flight still stood).
        Assert.Equal(0, cache.InFlight);

        Time.Advance(TimeSpan.FromTicks(1));
        Assert.Equal(LookupStatus.StoreUnavailable, (await cache.LookupAsync(digest)).Status);
    }

    [Fact]
    public async Task Clear_ForgetsFoundAndUnknownKeys()
    {
        using var cache = Cache(new CacheOptions());
        var known = await CreateAsync("clear");
        var unknown = KeyDigest.Compute(KeyFormat.Generate());
        await cache.LookupAsync(known);
        await cache.LookupAsync(unknown);

        cache.Clear();

        Assert.False(cache.TryLookupInMemory(known, out _));
        Assert.False(cache.TryLookupInMemory(unknown, out _));
    }

    private KeyCache Cache(CacheOptions options) => NewCache(options, _gate);

    private async Task<KeyDigest> CreateAsync(string name)
    {
        var plaintext = KeyFormat.Generate();
        var digest = KeyDigest.Compute(plaintext);
        var key = new ApiKey(KeyIds.NewId(), name, KeyKind.Rpa, KeyFormat.DisplayPrefix(plaintext), true,
            Time.GetUtcNow(), null, null, KeyScopes.All);
        Assert.True(await Store.CreateAsync(key, digest, announce: true));
        return digest;
    }

    /// <summary>Holds store reads until <see cref="Closed"/> completes, or fails them while <see cref="Fail"/> is set.</summary>
    private sealed class StoreGate : IStoreReadChaos
    {
        private int _waiting;

        public TaskCompletionSource? Closed { get; set; }

        public bool Fail { get; set; }

        public int Waiting => Volatile.Read(ref _waiting);

        public void Configure(ResiliencePipelineBuilder builder) => builder
            .AddChaosBehavior(new ChaosBehaviorStrategyOptions
            {
                InjectionRate = 1,
                EnabledGenerator = _ => ValueTask.FromResult(Closed is not null),
                BehaviorGenerator = async _ =>
                {
                    Interlocked.Increment(ref _waiting);
                    await Closed!.Task;
                },
            })
            .AddChaosFault(new ChaosFaultStrategyOptions
            {
                InjectionRate = 1,
                EnabledGenerator = _ => ValueTask.FromResult(Fail),
                FaultGenerator = _ => ValueTask.FromResult<Exception?>(new TimeoutException("injected")),
            });
    }
}
