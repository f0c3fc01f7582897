using System.Buffers;
using System.Collections.Concurrent;
using Gateway.Keys;

namespace Gateway.Caching;

/// <summary>
/// One tier of L1: key digest to (key or nothing, fresh until), with a bound on entries. Replaces <c>MemoryCache</c>
/// (issue 11): a <c>MemoryCache</c> entry cost a <c>CacheEntry</c> (~200 B with its options and state), a string
/// made of the digest and a dictionary node per key; here an entry is one dictionary node holding the 32-byte digest
/// and a 16-byte value. No closure, token or options object per entry: times are monotonic timestamps
/// (<see cref="TimeProvider.GetTimestamp"/>, so a wall-clock step neither extends nor ends entries).
/// </summary>
internal sealed class DigestTable
{
    // A full table drops at least this share of its entries at once (the oldest fetched), as MemoryCache compacted 5 %,
    // so a miss past the bound does not pay for a sweep each time.
    private const int TrimDivisor = 20;

    private readonly ConcurrentDictionary<KeyDigest, Slot> _slots = new(DigestComparer.Instance);
    private readonly int _maxEntries;
    private readonly long _keepAfterFresh;
    private readonly long _sweepEvery;
    private readonly TimeProvider _time;
    private int _count;
    private int _trimming;
    private long _nextSweep;

    /// <param name="maxEntries">Most entries held; past it the least recently fetched are dropped.</param>
    /// <param name="keepAfterFresh">How long past its freshness an entry is still kept (for stale-if-error), in timestamp units.</param>
    public DigestTable(int maxEntries, long keepAfterFresh, TimeProvider time)
    {
        _maxEntries = maxEntries;
        _keepAfterFresh = keepAfterFresh;
        _time = time;
        _sweepEvery = ToTimestamp(time, TimeSpan.FromMinutes(1));
        _nextSweep = time.GetTimestamp() + _sweepEvery;
    }

    /// <summary>Entries held, fresh or not (approximate while writers race; exact after a sweep).</summary>
    public int Count => Volatile.Read(ref _count);

    public static long ToTimestamp(TimeProvider time, TimeSpan span) =>
        (long)(span.TotalSeconds * time.TimestampFrequency);

    public bool TryGet(KeyDigest digest, out Slot slot) => _slots.TryGetValue(digest, out slot);

    /// <param name="mark">The new slot's use mark (found keys; a fresh one when <c>null</c>).</param>
    public void Set(KeyDigest digest, ApiKey? key, long freshUntil, UseMark? mark = null)
    {
        var slot = new Slot(key, freshUntil, key is null ? null : mark ?? new UseMark());
        if (_slots.TryAdd(digest, slot))
        {
            Interlocked.Increment(ref _count);
        }
        else
        {
            _slots[digest] = slot;
        }

        var now = _time.GetTimestamp();
        if ((Count > _maxEntries || now >= Volatile.Read(ref _nextSweep)) && Interlocked.CompareExchange(ref _trimming, 1, 0) == 0)
        {
            // Off the request that filled the entry: a sweep of 100,000 entries takes milliseconds.
            ThreadPool.UnsafeQueueUserWorkItem(static state => state.Table.Trim(state.Now), (Table: this, Now: now), preferLocal: false);
        }
    }

    /// <summary>
    /// Moves the entry's freshness to <paramref name="freshUntil"/>, with <paramref name="mark"/> as the new slot's use
    /// mark, only if it is still exactly <paramref name="seen"/> (the same key object, the same time): never brings back
    /// an entry removed or replaced meanwhile.
    /// </summary>
    public bool TryExtend(KeyDigest digest, Slot seen, long freshUntil, UseMark mark) =>
        _slots.TryUpdate(digest, new Slot(seen.Key, freshUntil, mark), seen);

    public void Remove(KeyDigest digest)
    {
        if (_slots.TryRemove(digest, out _))
        {
            Interlocked.Decrement(ref _count);
        }
    }

    public void Clear()
    {
        _slots.Clear();
        Volatile.Write(ref _count, 0);
    }

    /// <summary>Drops entries past their keep time, then, if still over the bound, the least recently fetched.</summary>
    internal void Trim(long now)
    {
        try
        {
            foreach (var (digest, slot) in _slots)
            {
                if (slot.FreshUntil + _keepAfterFresh <= now)
                {
                    _slots.TryRemove(new KeyValuePair<KeyDigest, Slot>(digest, slot));
                }
            }

            var count = _slots.Count;
            if (count > _maxEntries)
            {
                DropOldest(count - _maxEntries + Math.Max(1, _maxEntries / TrimDivisor));
            }

            Volatile.Write(ref _count, _slots.Count);
            Volatile.Write(ref _nextSweep, now + _sweepEvery);
        }
        finally
        {
            Volatile.Write(ref _trimming, 0);
        }
    }

    // Fresh-until is fetch time plus a fixed TTL, so the smallest are the least recently fetched.
    private void DropOldest(int drop)
    {
        var times = ArrayPool<long>.Shared.Rent(_slots.Count + 64);
        try
        {
            var n = 0;
            foreach (var (_, slot) in _slots)
            {
                if (n == times.Length)
                {
                    break;
                }

                times[n++] = slot.FreshUntil;
            }

            if (n == 0 || drop <= 0)
            {
                return;
            }

            Array.Sort(times, 0, n);
            var threshold = times[Math.Min(drop, n) - 1];
            foreach (var (digest, slot) in _slots)
            {
                if (slot.FreshUntil <= threshold)
                {
                    _slots.TryRemove(new KeyValuePair<KeyDigest, Slot>(digest, slot));
                }
            }
        }
        finally
        {
            ArrayPool<long>.Shared.Return(times);
        }
    }

    /// <summary>
    /// A found key (or <c>null</c> in the negative table), the timestamp it is fresh until, and whether a request used it
    /// since its read or check (found keys only: what the refresh-ahead sweep looks at).
    /// </summary>
    internal readonly record struct Slot(ApiKey? Key, long FreshUntil, UseMark? Mark = null)
    {
        // The same decoded object, not an equal one: what the conditional updates and removes compare (and cheaper than
        // ApiKey's member-wise equality).
        public bool Equals(Slot other) => ReferenceEquals(Key, other.Key) && FreshUntil == other.FreshUntil;

        public override int GetHashCode() => HashCode.Combine(System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(Key), FreshUntil);
    }

    // HashCode.Combine is seeded per process, so nobody can choose keys whose digests pile into one bucket (the
    // MemoryCache keys were strings, whose hashing is seeded too). A digest is uniform: two of its words are plenty.
    private sealed class DigestComparer : IEqualityComparer<KeyDigest>
    {
        public static readonly DigestComparer Instance = new();

        public bool Equals(KeyDigest x, KeyDigest y) => x.A == y.A && x.B == y.B && x.C == y.C && x.D == y.D;

        public int GetHashCode(KeyDigest digest) => HashCode.Combine(digest.A, digest.D);
    }
}

/// <summary>
/// Whether a request used an entry since its read or check, and whether the entry is filed for the refresh-ahead sweep;
/// one per slot.
/// </summary>
internal sealed class UseMark
{
    /// <summary>No request used the slot, and it is not filed.</summary>
    public const int NotUsed = 0;

    /// <summary>A request used the slot, and it is filed (by that request, or by the check that made it as <see cref="Kept"/>).</summary>
    public const int UsedByRequest = 1;

    /// <summary>Filed by the check that made the slot, for one more check even if no request uses it (one idle <c>L1Ttl</c>).</summary>
    public const int Kept = 2;

    public int Used;

    public UseMark()
    {
    }

    public UseMark(int used) => Used = used;
}
