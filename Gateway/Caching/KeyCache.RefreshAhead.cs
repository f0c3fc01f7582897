using Gateway.Keys;

namespace Gateway.Caching;

/// <summary>
/// Refresh-ahead (issue 11): a hit on a found key in the last <c>Cache:RefreshAhead</c> of its <c>L1Ttl</c> (default the
/// last quarter) is served from memory at once and starts one background check of the key. The check reads only the
/// record's version and id (<see cref="Store.KeyStore.IsCurrentAsync"/>); when they are the ones cached, the entry is
/// fresh for another <c>L1Ttl</c> from when the check began, with nothing decoded. Anything else (a changed version, no
/// record, a record from before versions) is the full read a miss makes, which replaces or removes the entry.
/// <para>
/// What it never does: use an entry past the freshness its own read gave it (a check extends only from the moment it
/// began, and only the very entry it checked, so an invalidation that removed the entry meanwhile wins); change
/// anything when it fails (the entry ends at its own time, and the request path's read and stale-if-error apply then).
/// </para>
/// </summary>
public sealed partial class KeyCache
{
    /// <summary>How often the sweep looks for used entries whose window has opened.</summary>
    internal static readonly TimeSpan SweepPeriod = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Starts the check of every entry a request used before its window, once the window is open: a key used at any
    /// time in its <c>L1Ttl</c> is checked before it ends, not only one a request happens to use within the window (the
    /// coldpath bench's keys, each used every 10 to 20 s, stepped over it). An entry no request used since its read or
    /// check is left to end: idle keys cost the store nothing. A read-only walk of L1 each second (no copy, no lock).
    /// </summary>
    internal void SweepForRefresh()
    {
        if (Interlocked.Exchange(ref _sweeping, 1) == 1)
        {
            return;
        }

        try
        {
            var now = _time.GetTimestamp();
            foreach (var (digest, entry) in _found.Entries)
            {
                if (entry.Mark is { Used: 1 } && entry.FreshUntil > now && entry.FreshUntil - now <= _refreshAhead)
                {
                    StartRefresh(digest, entry);
                }
            }
        }
        finally
        {
            Volatile.Write(ref _sweeping, 0);
        }
    }

    /// <summary>Store reads in flight for presented keys: misses' reads and refreshes (tests).</summary>
    internal int InFlight => _inflight.Count;

    // One flight per key, shared with misses: a miss that comes while the key's check runs waits for it instead of
    // reading again, and a burst of hits in the window starts one check.
    private void StartRefresh(KeyDigest digest, DigestTable.Slot entry)
    {
        // Most hits in the window find the check already running: a lookup, nothing allocated.
        if (_inflight.ContainsKey(digest))
        {
            return;
        }

        var flight = new TaskCompletionSource<KeyLookup>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (_inflight.TryAdd(digest, flight.Task))
        {
            _ = CompleteAsync(digest, flight, entry);
        }
    }

    private async Task<KeyLookup> RefreshAsync(KeyDigest digest, DigestTable.Slot seen)
    {
        var key = seen.Key!;
        var started = _time.GetTimestamp();
        bool current;
        try
        {
            // Through the same pipeline as every store read: its timeout bounds the check, and its failures count toward
            // the circuit, which then spares the store further checks and reads alike.
            current = await _pipeline.ExecuteAsync(
                static async (state, token) => await state.Store.IsCurrentAsync(state.Digest, state.Key).WaitAsync(token).ConfigureAwait(false),
                (Store: _store, Digest: digest, Key: key)).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Not again from the sweep each second while the store is away: a request in the window may still retry.
            if (seen.Mark is { } mark)
            {
                Volatile.Write(ref mark.Used, 0);
            }

            return RefreshFailed(digest, ex);
        }

        if (!current)
        {
            return await LoadAsync(digest, refresh: true).ConfigureAwait(false);
        }

        // Only the entry this check saw, from when the check began. No generation count is needed for this one: an
        // invalidation of this key removes the entry itself, either before this (so there is nothing to extend) or after
        // (so it removes the extended one); the count would also make every other key's invalidation cancel the extension.
        _metrics.CacheRefresh(_found.TryExtend(digest, seen, started + _l1Ttl) ? "unchanged" : "superseded");

        // The store still holds what memory has: the answer for a request that joined this flight, as a read's would be.
        return KeyLookup.Found(key);
    }

    // Changes nothing. A request that joined the flight (its entry ended or was dropped meanwhile) gets what a failed read
    // on the request path gives: the entry while fresh, then stale-if-error, else 503.
    private KeyLookup RefreshFailed(KeyDigest digest, Exception ex)
    {
        _metrics.CacheRefresh("error");
        Log.RefreshFailed(_logger, ex);
        return TryGetFresh(digest, out var fresh, refresh: false) && fresh.Status == LookupStatus.Found ? fresh : StaleOrUnavailable(digest, ex);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 203, Level = LogLevel.Debug, Message = "Background check of a cached key failed; the entry ends at its own time.")]
        public static partial void RefreshFailed(ILogger logger, Exception exception);
    }
}
