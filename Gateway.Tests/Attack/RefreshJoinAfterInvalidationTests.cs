using System.Diagnostics.Metrics;
using Gateway.Caching;
using Gateway.Configuration;
using Gateway.Keys;
using Gateway.Observability;
using Gateway.Store;
using Gateway.Tests.Caching;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Polly;

namespace Gateway.Tests.Attack;

/// <summary>
/// Attack (found, fixed; SECURITY.md 22): a refresh-ahead check that has already read the record's version, with an
/// admin write landing and its invalidation arriving before the check's answer is used. A lookup after the invalidation
/// (a request, or the upgrade registry's recheck that the invalidation itself starts) found the check still in flight,
/// joined it and was answered with the state from before the write: a disabled key passed, and an upgraded connection
/// the disable should close within 1 s stayed open until the next sweep, a whole <c>Cache:L1Ttl</c> later. A read in
/// flight when an invalidation (or a reconnect's clear) comes describes the past: lookups after it make their own.
/// Real store, fake clock, no subscriber (the test delivers the invalidation); <see cref="AfterReadGate"/> holds the
/// check after the store answered it, which is the race's window made as wide as the test needs.
/// </summary>
public sealed class RefreshJoinAfterInvalidationTests : KeyCacheTest
{
    private static readonly TimeSpan L1Ttl = TimeSpan.FromSeconds(30);
    private readonly AfterReadGate _gate = new();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _gate.Release();
        }

        base.Dispose(disposing);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task LookupAfterTheInvalidation_NeverGetsTheCheckFromBeforeTheWrite(bool reconnect)
    {
        using var refreshes = new MetricCollector<long>(
            Services.GetRequiredService<IMeterFactory>(), GatewayMetrics.MeterName, "gateway.key_cache.refreshes");
        using var cache = NewCache(new CacheOptions { L1Ttl = L1Ttl }, _gate);
        var plaintext = KeyFormat.Generate();
        var digest = KeyDigest.Compute(plaintext);
        var key = new ApiKey(KeyIds.NewId(), "join", KeyKind.Rpa, KeyFormat.DisplayPrefix(plaintext), true, Time.GetUtcNow(), null, null, KeyScopes.All)
        {
            Version = KeyStore.FirstVersion,
        };
        Assert.True(await Store.CreateAsync(key, digest, announce: true));
        Assert.True((await cache.LookupAsync(digest)).Key!.Enabled);
        // The read's flight is removed just after its answer is given: until then a hit starts no check.
        await Eventually.TrueAsync(() => cache.InFlight == 0, "the first read to end");

        // In the refresh-ahead window: the check reads version 1 and is held before its answer is used. (The read filed
        // the entry, so the sweep starts that check at 23 s; held from before, whichever starts it.)
        _gate.HoldNext();
        Time.Advance(TimeSpan.FromSeconds(25));
        Assert.True(cache.TryLookupInMemory(digest, out _));
        await _gate.ReadDone.WaitAsync(TimeSpan.FromSeconds(30));

        // The admin disables the key; every instance hears of it (or reconnects and clears everything).
        Assert.Equal(KeyWriteStatus.Written, (await Store.UpdateAsync(key.Id, k => k with { Enabled = false })).Status);
        if (reconnect)
        {
            cache.Clear();
        }
        else
        {
            cache.Invalidate(digest);
        }

        // What a request, or the upgrade registry's recheck, asks now must be the key as stored now.
        var after = cache.LookupAsync(digest).AsTask();
        _gate.Release();
        var lookup = await after.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(LookupStatus.Found, lookup.Status);
        Assert.False(lookup.Key!.Enabled, "a lookup after the invalidation was answered with the key from before the disable");

        // And what memory holds afterwards is the disabled key, however the held check ends (it is out of the flights, so
        // its count, not InFlight, says when).
        await Eventually.TrueAsync(() => refreshes.GetMeasurementSnapshot().Count == 1, "the held check to end");
        Assert.Equal("superseded", (string?)refreshes.GetMeasurementSnapshot()[0].Tags["result"]);
        Assert.Equal(0, cache.InFlight);
        Assert.True(cache.TryLookupInMemory(digest, out var held));
        Assert.False(held.Key!.Enabled);
    }

    /// <summary>Holds the next store call after the store answered it, until <see cref="Release"/>.</summary>
    private sealed class AfterReadGate : IStoreReadChaos
    {
        private TaskCompletionSource? _next;
        private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _read = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task ReadDone => _read.Task;

        public void HoldNext() => Volatile.Write(ref _next, _open);

        public void Release() => _open.TrySetResult();

        public void Configure(ResiliencePipelineBuilder builder) => builder.AddStrategy(_ => new Strategy(this), new GateOptions());

        private sealed class GateOptions : ResilienceStrategyOptions;

        private sealed class Strategy(AfterReadGate gate) : ResilienceStrategy
        {
            protected override async ValueTask<Outcome<TResult>> ExecuteCore<TResult, TState>(
                Func<ResilienceContext, TState, ValueTask<Outcome<TResult>>> callback, ResilienceContext context, TState state)
            {
                var outcome = await callback(context, state).ConfigureAwait(false);
                if (Interlocked.Exchange(ref gate._next, null) is { } held)
                {
                    gate._read.TrySetResult();
                    await held.Task.ConfigureAwait(false);
                }

                return outcome;
            }
        }
    }
}
