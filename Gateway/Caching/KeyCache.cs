using System.Collections.Concurrent;
using Gateway.Configuration;
using Gateway.Keys;
using Gateway.Observability;
using Gateway.Store;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;

namespace Gateway.Caching;

/// <summary>
/// Two tiers in front of the key store: L1 in this process, L2 Redis. A found key is served from L1 for
/// <c>L1Ttl</c> without touching Redis; an unknown key is remembered for <c>NegativeTtl</c> in a separate,
/// size-capped space so a flood of invented keys neither reaches Redis each time nor evicts real keys.
/// Concurrent misses of one key share one store read. A key in use is checked again in the background shortly before
/// its <c>L1Ttl</c> ends (refresh-ahead, KeyCache.RefreshAhead.cs), so requests rarely wait on the store for it. Both
/// tiers are <see cref="DigestTable"/>s keyed by the digest itself (issue 11: a third of the bytes per key that
/// <c>MemoryCache</c> took).
/// </summary>
public sealed partial class KeyCache : IKeyResolver, IDisposable
{
    private readonly KeyStore _store;
    private readonly CacheOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<KeyCache> _logger;
    private readonly GatewayMetrics _metrics;
    private readonly DigestTable _found;
    private readonly DigestTable _unknown;
    private readonly long _l1Ttl;
    private readonly long _staleIfErrorTtl;
    private readonly long _negativeTtl;
    private readonly long _refreshAhead;
    private readonly ConcurrentDictionary<KeyDigest, Task<KeyLookup>> _inflight = new();
    private readonly ResiliencePipeline _pipeline;
    private readonly ITimer? _sweep;
    private readonly RefreshQueue? _due;
    private readonly List<RefreshQueue.Item> _taken = [];
    private int _sweeping;
    private long _generation;

    public KeyCache(KeyStore store, IOptions<CacheOptions> options, TimeProvider time, GatewayMetrics metrics, IEnumerable<IStoreReadChaos> chaos, ILogger<KeyCache> logger)
    {
        _metrics = metrics;
        _store = store;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _l1Ttl = DigestTable.ToTimestamp(time, _options.L1Ttl);
        _staleIfErrorTtl = DigestTable.ToTimestamp(time, _options.StaleIfErrorTtl);
        _negativeTtl = DigestTable.ToTimestamp(time, _options.NegativeTtl);
        _refreshAhead = DigestTable.ToTimestamp(time, _options.RefreshAheadOrDefault);
        _found = new DigestTable(_options.L1MaxEntries, _staleIfErrorTtl, time);
        _unknown = new DigestTable(_options.NegativeMaxEntries, 0, time);
        _pipeline = StoreReadPipeline.Create(_options, time, metrics, chaos);
        if (_refreshAhead > 0)
        {
            _due = new RefreshQueue(DigestTable.ToTimestamp(time, SweepPeriod), _l1Ttl, time.GetTimestamp());
            _sweep = time.CreateTimer(static state => ((KeyCache)state!).SweepForRefresh(), this, SweepPeriod, SweepPeriod);
        }
    }

    /// <summary>Resolves a key by its digest. Completes synchronously when the answer is in memory.</summary>
    public ValueTask<KeyLookup> LookupAsync(KeyDigest digest) =>
        TryLookupInMemory(digest, out var known) ? new ValueTask<KeyLookup>(known) : new ValueTask<KeyLookup>(LookupInStoreAsync(digest));

    /// <summary>The answer L1 or the negative cache holds, without any store call; <c>false</c> when neither knows the key.</summary>
    public bool TryLookupInMemory(KeyDigest digest, out KeyLookup lookup)
    {
        if (TryGetFresh(digest, out lookup, refresh: true))
        {
            _metrics.KeyLookupL1Hit();
            return true;
        }

        return false;
    }

    /// <summary>Reads a key memory did not know from the store (one read however many ask at once).</summary>
    public Task<KeyLookup> LookupInStoreAsync(KeyDigest digest)
    {
        _metrics.KeyLookup(KeyLookupOutcome.L1Miss);
        return LoadOnceAsync(digest);
    }

    /// <summary>Drops everything known about one key; called for every admin write, on every instance.</summary>
    public void Invalidate(KeyDigest digest)
    {
        Interlocked.Increment(ref _generation);
        _found.Remove(digest);
        _unknown.Remove(digest);
        // A read or refresh-ahead check in flight may have read the store before the write this announces: lookups from
        // now on (a request, the upgrade registry's recheck) make their own read instead of joining it (SECURITY.md 22).
        // Fails closed: at worst one more store read. The detached flight still answers those that joined it before.
        _inflight.TryRemove(digest, out _);
        // The refresh sweep's queue may still hold the removed entry: the sweep skips it, as it is no longer the table's.
    }

    /// <summary>Drops everything; called when the Redis connection is restored, since missed messages are not replayed.</summary>
    public void Clear()
    {
        Interlocked.Increment(ref _generation);
        _found.Clear();
        _unknown.Clear();
        // Reads in flight may predate writes whose messages were missed: nothing asked from now on joins them. The
        // refresh sweep's queue is left: the sweep skips every item whose entry is no longer the table's.
        _inflight.Clear();
    }

    /// <summary>Found keys held in memory, fresh or kept for stale-if-error.</summary>
    public int Count => _found.Count;

    /// <summary>Unknown keys remembered.</summary>
    internal int UnknownCount => _unknown.Count;

    public void Dispose()
    {
        _sweep?.Dispose();
        Clear();
    }

    /// <param name="refresh">Whether a hit in the refresh-ahead window starts the key's background check.</param>
    private bool TryGetFresh(KeyDigest digest, out KeyLookup lookup, bool refresh)
    {
        var now = _time.GetTimestamp();
        if (_found.TryGet(digest, out var entry) && entry.FreshUntil > now)
        {
            // Outside the window this is one subtraction and a read of the entry's mark; on an entry's first use, one
            // compare-exchange and one enqueue: the hit path stays free of allocation and locks.
            if (refresh)
            {
                var inWindow = entry.FreshUntil - now <= _refreshAhead;
                if (entry.Mark is { Used: not UseMark.UsedByRequest } mark && _due is not null)
                {
                    // The slot's first use: before its window, filed so that the sweep checks it once the window opens,
                    // even if no request comes then; on a slot kept for an idle check, noted so the check keeps it again.
                    NoteUse(digest, entry, mark, inWindow);
                }

                if (inWindow)
                {
                    StartRefresh(digest, entry);
                }
            }

            lookup = KeyLookup.Found(entry.Key!);
            return true;
        }

        if (_unknown.TryGet(digest, out var unknown) && unknown.FreshUntil > now)
        {
            lookup = KeyLookup.NotFound;
            return true;
        }

        lookup = default;
        return false;
    }

    private Task<KeyLookup> LoadOnceAsync(KeyDigest digest)
    {
        // Single flight: one store read per key however many requests miss at once.
        var created = new TaskCompletionSource<KeyLookup>(TaskCreationOptions.RunContinuationsAsynchronously);
        var inflight = _inflight.GetOrAdd(digest, created.Task);
        if (inflight != created.Task)
        {
            return inflight;
        }

        // A request that missed L1 just before another's read finished finds no read in flight (it is removed once its
        // answer is in L1): look again, now that this one holds the flight, instead of reading the store a second time.
        if (TryGetFresh(digest, out var known, refresh: false))
        {
            _inflight.TryRemove(new KeyValuePair<KeyDigest, Task<KeyLookup>>(digest, created.Task));
            created.SetResult(known);
            return created.Task;
        }

        _ = CompleteAsync(digest, created);
        return created.Task;
    }

    /// <param name="refreshOf">The entry a refresh-ahead checks; <c>default</c> for a read on a miss.</param>
    /// <param name="reload">A refresh-ahead's full read, after its batch found the version moved (KeyCache.RefreshBatch.cs).</param>
    private async Task CompleteAsync(KeyDigest digest, TaskCompletionSource<KeyLookup> completion, DigestTable.Slot refreshOf = default, bool reload = false)
    {
        KeyLookup lookup;
        try
        {
            lookup = reload ? await LoadAsync(digest, refresh: true).ConfigureAwait(false)
                : refreshOf.Key is null ? await LoadAsync(digest).ConfigureAwait(false)
                : await RefreshAsync(digest, refreshOf).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // LoadAsync turns store failures into results; anything else is a bug, and still must not pass.
            lookup = KeyLookup.Unavailable(1);
            Log.UnexpectedLookupFailure(_logger, ex);
        }

        // Out of the table before the answer is given (ConcurrentDictionary's calls do not throw): a lookup that comes
        // once this flight answered looks at L1 again or reads, and never joins an answer from an earlier moment. The
        // other order let one do so while this thread was between the two, which on a fake clock moved meanwhile served
        // a stale-if-error answer past its window (KeyCacheTests, CI's cluster run under load).
        _inflight.TryRemove(new KeyValuePair<KeyDigest, Task<KeyLookup>>(digest, completion.Task));
        completion.SetResult(lookup);
    }

    /// <param name="refresh">A refresh-ahead's full read: counted as a refresh, not as a lookup a request waited for.</param>
    private async Task<KeyLookup> LoadAsync(KeyDigest digest, bool refresh = false)
    {
        var generation = Interlocked.Read(ref _generation);
        ApiKey? key;
        var started = _time.GetTimestamp();
        try
        {
            key = await _pipeline.ExecuteAsync(
                static async (state, token) => await state.Store.FindAsync(state.Digest).WaitAsync(token).ConfigureAwait(false),
                (Store: _store, Digest: digest)).ConfigureAwait(false);
        }
        catch (Exception ex) when (refresh)
        {
            return RefreshFailed(digest, ex);
        }
        catch (Exception ex)
        {
            _metrics.KeyLookup(KeyLookupOutcome.L2Error);
            return StaleOrUnavailable(digest, ex);
        }

        if (refresh)
        {
            _metrics.CacheRefresh(key is null ? "removed" : "reloaded");
        }
        else
        {
            _metrics.StoreRead(_time.GetElapsedTime(started));
            _metrics.KeyLookup(key is null ? KeyLookupOutcome.L2Miss : KeyLookupOutcome.L2Hit);
        }

        // Fresh from the moment the read began, not from its answer, so an entry never outlives L1Ttl from what it saw.
        var now = started;
        // An invalidation that raced this read may describe a newer state than what was read: answer, but do not cache.
        var cacheable = Interlocked.Read(ref _generation) == generation;
        if (key is null)
        {
            _found.Remove(digest);
            if (cacheable)
            {
                _unknown.Set(digest, null, now + _negativeTtl);
                DropIfInvalidatedSince(_unknown, digest, generation);
            }

            return KeyLookup.NotFound;
        }

        _unknown.Remove(digest);
        if (cacheable)
        {
            // Filed at once for a check in its window, used or not (KeyCache.RefreshAhead.cs, Extend): a key read and then
            // idle for a whole L1Ttl is checked once more instead of read again on its next request's time.
            var mark = _due is null ? null : new UseMark(UseMark.Kept);
            _found.Set(digest, key, now + _l1Ttl, mark);
            if (mark is not null)
            {
                _due!.Add(digest, mark, now + _l1Ttl - _refreshAhead);
            }

            DropIfInvalidatedSince(_found, digest, generation);
        }

        return KeyLookup.Found(key);
    }

    // Set, then look: an invalidation whose count moved between the check above and the Set may have removed the entry
    // before the Set put it back, so it is dropped again here (the invalidation wins; at worst one more read).
    private void DropIfInvalidatedSince(DigestTable table, KeyDigest digest, long generation)
    {
        if (Interlocked.Read(ref _generation) != generation)
        {
            table.Remove(digest);
        }
    }

    private KeyLookup StaleOrUnavailable(KeyDigest digest, Exception ex)
    {
        var retryAfter = ex is BrokenCircuitException ? (int)StoreReadPipeline.BreakDuration.TotalSeconds : 1;
        if (_found.TryGet(digest, out var stale) && stale.FreshUntil + _staleIfErrorTtl > _time.GetTimestamp())
        {
            // Fails open for a key we verified recently, within a bounded window (StaleIfErrorTtl), because
            // its last known state is the best evidence there is; the state itself (disabled, scopes) still applies.
            Log.ServingStale(_logger, stale.Key!.Id, ex.GetType().Name);
            return KeyLookup.Found(stale.Key);
        }

        // Fails closed: a key we cannot verify never passes.
        Log.StoreUnavailable(_logger, ex.GetType().Name, ex.Message);
        return KeyLookup.Unavailable(retryAfter);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 200, Level = LogLevel.Warning, Message = "Store unreachable ({Error}); serving key '{KeyId}' from its last known state.")]
        public static partial void ServingStale(ILogger logger, string keyId, string error);

        [LoggerMessage(EventId = 201, Level = LogLevel.Warning, Message = "Store unreachable ({Error}: {Message}); refusing a key not held in memory.")]
        public static partial void StoreUnavailable(ILogger logger, string error, string message);

        [LoggerMessage(EventId = 202, Level = LogLevel.Error, Message = "Unexpected failure while resolving a key; refused.")]
        public static partial void UnexpectedLookupFailure(ILogger logger, Exception exception);
    }
}
