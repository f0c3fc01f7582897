using Gateway.Keys;

namespace Gateway.Caching;

/// <summary>
/// Refresh-ahead (issue 11): a hit on a found key in the last <c>Cache:RefreshAhead</c> of its <c>L1Ttl</c> (default the
/// last quarter) is served from memory at once and starts one background check of the key. The check reads only the
/// record's version and id (<see cref="Store.KeyStore.IsCurrentAsync"/>); when they are the ones cached, the entry is
/// fresh for another <c>L1Ttl</c> from when the check began, with nothing decoded. Anything else (a changed version, no
/// record, a record from before versions) is the full read a miss makes, which replaces or removes the entry. The
/// sweep's checks are batched (KeyCache.RefreshBatch.cs: one pipeline execution and one write of HMGETs per batch of up
/// to 256 keys); a request's check is single. Either way each key has its own flight, outcome and full read.
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
    /// coldpath bench's keys, each used every 10 to 20 s, stepped over it). An entry a read made, or a check renewed
    /// after a use, is filed by the read or check itself (see <see cref="Extend"/>): a key idle for one whole
    /// <c>L1Ttl</c> costs one more HMGET instead of a store read its next request waits for; an entry neither used nor
    /// kept is left to end, so a key idle for longer costs the store nothing. The first use of an entry not filed yet
    /// files it under the second its window opens (<see cref="NoteUse"/>), so the sweep takes only what came due since
    /// its last run instead of walking L1 (the walk was 1.8 % of the gateway's CPU with 100,000 keys in use). What it starts is checked in batches
    /// (<see cref="MaxRefreshBatch"/> keys each, <see cref="RefreshBatchAsync"/>), not a pipeline execution and a round
    /// trip per key (3,000 to 6,000 a second with 100,000 keys in use).
    /// </summary>
    internal void SweepForRefresh()
    {
        if (_due is null || Interlocked.Exchange(ref _sweeping, 1) == 1)
        {
            return;
        }

        List<RefreshFlight>? batch = null;
        try
        {
            var now = _time.GetTimestamp();
            _due.TakeDue(now, _taken);
            foreach (var item in _taken)
            {
                // Only the very slot the request used, still fresh. An invalidation, a clear, a reload or a check's
                // extension each leave another slot (with its own mark) or none, so what they made obsolete is skipped
                // here and they need not touch the queue. (The slot is still marked: only the request that marked it
                // filed it, and nothing unmarks a slot.)
                if (!_found.TryGet(item.Digest, out var entry) || !ReferenceEquals(entry.Mark, item.Mark) || entry.FreshUntil <= now)
                {
                    continue;
                }

                var windowOpens = entry.FreshUntil - _refreshAhead;
                if (windowOpens > now)
                {
                    // Taken early: the sweep was late by more than the ring's length and took every bucket.
                    _due.AddBack(item, windowOpens);
                    continue;
                }

                // Keys already in flight (a miss's read, a request's check) are skipped: that flight answers for them.
                if (TryBeginFlight(item.Digest, out var flight))
                {
                    (batch ??= new List<RefreshFlight>(Math.Min(_taken.Count, MaxRefreshBatch))).Add(new RefreshFlight(item.Digest, entry, flight));
                    if (batch.Count == MaxRefreshBatch)
                    {
                        StartRefreshBatch(batch);
                        batch = null;
                    }
                }
            }
        }
        finally
        {
            // Started whatever happened above: its keys' flights are registered, and a miss may already wait on one.
            if (batch is not null)
            {
                StartRefreshBatch(batch);
            }

            _taken.Clear();
            Volatile.Write(ref _sweeping, 0);
        }
    }

    /// <summary>Entries filed for the sweep, due or not (tests).</summary>
    internal int QueuedForSweep => _due?.Count ?? 0;

    // Once per slot: of the requests that race to mark it, the one whose compare-exchange wins files it (a slot kept for an
    // idle check is filed already). Not inlined into the hit path, which runs it once per entry per L1Ttl.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private void NoteUse(KeyDigest digest, DigestTable.Slot entry, UseMark mark, bool inWindow)
    {
        if (Interlocked.CompareExchange(ref mark.Used, UseMark.UsedByRequest, UseMark.Kept) == UseMark.Kept)
        {
            return;
        }

        if (Interlocked.CompareExchange(ref mark.Used, UseMark.UsedByRequest, UseMark.NotUsed) == UseMark.NotUsed && !inWindow
            && !_due!.Add(digest, mark, entry.FreshUntil - _refreshAhead))
        {
            // The window opened and a sweep passed its second while this request was between its clock read and the
            // filing: the sweep may have missed the item, so this request starts the check (single flight as ever).
            StartRefresh(digest, entry);
        }

        // In the window the request itself starts the check: nothing to file, the mark only says the slot was used.
    }

    /// <summary>Store reads in flight for presented keys: misses' reads and refreshes (tests).</summary>
    internal int InFlight => _inflight.Count;

    // One flight per key, shared with misses: a miss that comes while the key's check runs waits for it instead of
    // reading again, and a burst of hits in the window starts one check.
    private void StartRefresh(KeyDigest digest, DigestTable.Slot entry)
    {
        if (TryBeginFlight(digest, out var flight))
        {
            _ = CompleteAsync(digest, flight, entry);
        }
    }

    // The key's flight, registered so that a miss joins it; false when one is in flight already.
    private bool TryBeginFlight(KeyDigest digest, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out TaskCompletionSource<KeyLookup>? flight)
    {
        // Most hits in the window find the check already running: a lookup, nothing allocated.
        if (_inflight.ContainsKey(digest))
        {
            flight = null;
            return false;
        }

        flight = new TaskCompletionSource<KeyLookup>(TaskCreationOptions.RunContinuationsAsynchronously);
        return _inflight.TryAdd(digest, flight.Task);
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
            // Not again from the sweep (it takes each filed entry once) while the store is away: a request in the window
            // may still retry.
            return RefreshFailed(digest, ex);
        }

        if (!current)
        {
            return await LoadAsync(digest, refresh: true).ConfigureAwait(false);
        }

        return Unchanged(digest, seen, started);
    }

    // The check found the version and id memory holds.
    private KeyLookup Unchanged(KeyDigest digest, DigestTable.Slot seen, long started)
    {
        // Only the entry this check saw, from when the check began. No generation count is needed for this one: an
        // invalidation of this key removes the entry itself, either before this (so there is nothing to extend) or after
        // (so it removes the extended one); the count would also make every other key's invalidation cancel the extension.
        _metrics.CacheRefresh(Extend(digest, seen, started + _l1Ttl) ? "unchanged" : "superseded");

        // The store still holds what memory has: the answer for a request that joined this flight, as a read's would be.
        return KeyLookup.Found(seen.Key!);
    }

    /// <summary>
    /// Extends the very slot a check saw. Every entry a read makes is filed for a check in its window as
    /// <see cref="UseMark.Kept"/> (LoadAsync), and so is the entry a check makes of a slot that a request used since its
    /// read or check (or whose check a request started): it is checked once more even if no request uses it, so a key
    /// used at least once in about two <c>L1Ttl</c> stays in memory instead of making its next request wait on a store
    /// read. A kept slot that no request used is not kept again: its entry ends unless a request uses (and so files) it.
    /// Only the freshness a check gives moves, so this keeps no entry past what the store said from when its check began.
    /// </summary>
    private bool Extend(KeyDigest digest, DigestTable.Slot seen, long freshUntil)
    {
        var keep = _due is not null && seen.Mark is { Used: not UseMark.Kept };
        var mark = new UseMark(keep ? UseMark.Kept : UseMark.NotUsed);
        if (!_found.TryExtend(digest, seen, freshUntil, mark))
        {
            return false;
        }

        // Filed for a period still ahead (the window opens L1Ttl minus RefreshAhead from the check's start), so Add's
        // "already drained" answer cannot come unless the clock jumped; then the entry ends at its own time.
        if (keep)
        {
            _due!.Add(digest, mark, freshUntil - _refreshAhead);
        }

        return true;
    }

    // Changes nothing. A request that joined the flight (its entry ended or was dropped meanwhile) gets what a failed read
    // on the request path gives: the entry while fresh, then stale-if-error, else 503. Counted per key; logged by the
    // caller when it is a batch's (once for the batch).
    private KeyLookup RefreshFailed(KeyDigest digest, Exception ex, bool log = true)
    {
        _metrics.CacheRefresh("error");
        if (log)
        {
            Log.RefreshFailed(_logger, ex);
        }

        return TryGetFresh(digest, out var fresh, refresh: false) && fresh.Status == LookupStatus.Found ? fresh : StaleOrUnavailable(digest, ex);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 203, Level = LogLevel.Debug, Message = "Background check of a cached key failed; the entry ends at its own time.")]
        public static partial void RefreshFailed(ILogger logger, Exception exception);
    }
}
