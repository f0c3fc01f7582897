using System.Collections.Concurrent;
using Gateway.Keys;

namespace Gateway.Caching;

/// <summary>
/// The refresh-ahead sweep's due list (issue 11): entries a request used before their window, filed under the sweep
/// period in which the window opens, so a sweep takes only what came due since the last one instead of walking all of
/// L1 (with 100,000 keys in use the walk was 1.8 % of the gateway's CPU). A ring of queues, one per period; an entry
/// is filed at most once per slot (the request that marks it), so the ring holds at most one item per slot made in the
/// last <c>L1Ttl</c>.
/// <para>
/// Nothing filed is lost: <see cref="Add"/> says when the sweep may already have passed the item's period, and the
/// caller then starts the check itself; <see cref="TakeDue"/> drains every period up to now, those a late sweep skipped
/// included (when more than the ring's length passed, every bucket once); the caller files back what is not due yet.
/// </para>
/// </summary>
internal sealed class RefreshQueue
{
    /// <summary>Most periods in the ring.</summary>
    internal const int MaxLength = 128;

    private readonly ConcurrentQueue<Item>[] _buckets;
    private readonly long _period;

    // Periods count from the queue's creation, which is when the sweep's timer starts: a sweep on time comes just after a
    // period ends, so an item is taken by the first sweep after its window opens.
    private readonly long _origin;

    // The last period whose bucket the sweep has begun to drain. Written only by the sweep (one at a time).
    private long _drainedThrough;

    /// <param name="period">The sweep's period, in timestamp units.</param>
    /// <param name="horizon">The furthest ahead a window can open from when it is filed (<c>L1Ttl</c>), in timestamp units.</param>
    /// <param name="now">The current timestamp, where the sweep's timer starts: the first period ends one period after it.</param>
    public RefreshQueue(long period, long horizon, long now)
    {
        _period = period;
        // A window opens at most `horizon` after the request that files it, and that request comes no earlier than the
        // last drain, so the periods pending at once span horizon / period + 2: with one more no bucket holds two. Past
        // MaxLength (an L1Ttl of minutes or hours) buckets are shared by periods a lap apart: an item taken a lap early
        // is filed back by the sweep, once a lap, rather than the ring taking an empty queue per second of L1Ttl.
        var length = (int)Math.Min(horizon / period + 3, MaxLength);
        _buckets = new ConcurrentQueue<Item>[length];
        for (var i = 0; i < length; i++)
        {
            _buckets[i] = new ConcurrentQueue<Item>();
        }

        _origin = now;
    }

    /// <summary>Periods in the ring.</summary>
    internal int Length => _buckets.Length;

    /// <summary>Items filed, due or not (tests).</summary>
    internal int Count
    {
        get
        {
            var count = 0;
            foreach (var bucket in _buckets)
            {
                count += bucket.Count;
            }

            return count;
        }
    }

    /// <summary>
    /// Files an entry for the sweep that follows <paramref name="windowOpens"/>. <c>false</c>: a sweep may already have
    /// drained that period (it came due between the caller's clock read and this call); the item may or may not have
    /// been taken, so the caller starts the check itself (the window is open by then).
    /// </summary>
    public bool Add(KeyDigest digest, UseMark mark, long windowOpens)
    {
        var due = DueAt(windowOpens);
        _buckets[due % _buckets.Length].Enqueue(new Item(digest, mark));
        // Enqueue, then read; the sweep publishes, then drains (both with full fences between). Either the sweep's drain
        // of this period sees the item, or this read sees that the period was published (or both).
        Interlocked.MemoryBarrier();
        return Volatile.Read(ref _drainedThrough) < due;
    }

    /// <summary>
    /// Files back an item the sweep took before its window opened (after a jump of more than the ring's length). Sweep
    /// only: its period is after the last drained one, so the next sweeps reach it.
    /// </summary>
    public void AddBack(Item item, long windowOpens)
    {
        var due = Math.Max(DueAt(windowOpens), Volatile.Read(ref _drainedThrough) + 1);
        _buckets[due % _buckets.Length].Enqueue(item);
    }

    /// <summary>
    /// Moves into <paramref name="into"/> every item filed for a period up to <paramref name="now"/> and not taken yet.
    /// One caller at a time (the sweep).
    /// </summary>
    public void TakeDue(long now, List<Item> into)
    {
        var through = Math.Max(0, now - _origin) / _period;
        var from = Volatile.Read(ref _drainedThrough) + 1;
        // Late by more than the ring (a stalled timer, a test's clock jump): every bucket once, whatever period it holds.
        from = Math.Max(from, through - _buckets.Length + 1);
        for (var period = from; period <= through; period++)
        {
            // Publish first, then drain: an Add for this period that this drain misses sees it published (see Add).
            Interlocked.Exchange(ref _drainedThrough, period);
            var bucket = _buckets[period % _buckets.Length];
            while (bucket.TryDequeue(out var item))
            {
                into.Add(item);
            }
        }
    }

    // The first sweep at or after the window opens: the period that ends at or after it.
    private long DueAt(long windowOpens) => (Math.Max(0, windowOpens - _origin) + _period - 1) / _period;

    /// <summary>An entry to check: its digest and the mark of the very slot the request used (each slot has its own).</summary>
    internal readonly record struct Item(KeyDigest Digest, UseMark Mark);
}
