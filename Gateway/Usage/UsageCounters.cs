using System.Collections.Concurrent;
using Gateway.Configuration;
using Gateway.Keys;
using Gateway.Observability;
using Microsoft.Extensions.Options;

namespace Gateway.Usage;

/// <summary>
/// One counter's address: a key, a UTC day, a target (an endpoint id, or null for GraphQL; or the key's <c>other</c>
/// target, where its targets past the per-key and in-memory caps are counted).
/// </summary>
internal readonly record struct UsageSlot(string KeyId, int Day, string? EndpointId, bool IsOther = false)
{
    public const string OtherName = "other";

    public string Target => IsOther ? OtherName : EndpointId is null ? ScopeTarget.GraphQLName : ScopeTarget.EndpointPrefix + EndpointId;
}

/// <summary>Counts of one slot not yet written to Redis, changed only with interlocked operations.</summary>
internal sealed class PendingCount(UsageSlot slot, KeyDayTargets keyDay)
{
    public long Allowed;
    public long Denied;
    public long Limited;
    public long LastUsedUnixMs;

    /// <summary>1 while the counter is queued for the next flush (see <see cref="UsageCounters"/>).</summary>
    public int Queued;

    public UsageSlot Slot { get; } = slot;

    public KeyDayTargets KeyDay { get; } = keyDay;
}

/// <summary>
/// One key and day in this instance: how many of its targets are counted separately, and whether the key is in the
/// day's index set; changed only with interlocked or volatile operations.
/// </summary>
internal sealed class KeyDayTargets
{
    public int Count;

    /// <summary>
    /// 1 once this process added the key to the day's set (<c>usage:keys:&lt;day&gt;</c>): later flushes leave the set
    /// alone. 0 again when a flush created a field of the key's hash (a new target, or Redis lost the hash), so the
    /// next SADD is in that same flush; a new process starts at 0 and adds each key-day once.
    /// </summary>
    public int Indexed;

    /// <summary>The Redis names a flush writes for this key and day, kept by the first flush that wrote them.</summary>
    public UsageNames? Names;
}

/// <summary>
/// The request path's side of usage counting: increments in-memory aggregates, with no queue, no await and
/// no Redis call. The flusher takes the deltas out with interlocked exchanges, so nothing is counted twice or lost.
/// Two bounds keep one key from crowding out the others (README, "Usage"): a key's targets past
/// <c>Usage:MaxTargetsPerKey</c> in a day are counted under its <c>other</c> target, and once the counters in memory
/// reach the last tenth of <c>Usage:MaxPendingCounters</c> every key's new targets go to its <c>other</c>; that tenth is
/// kept for <c>other</c> counters, so a count is dropped only when a key that has none finds it full.
/// A flush visits only the counters used since the last one: the first count into a counter after a flush queues it
/// (<see cref="PendingCount.Queued"/>), so with 100,000 keys in memory and a few thousand used each second a flush does
/// not walk all of them (it did: an eighth of the gateway's CPU). Every counter is walked once per UTC day, to release
/// those two days idle.
/// </summary>
internal sealed class UsageCounters : IUsageRecorder
{
    private readonly ConcurrentDictionary<UsageSlot, PendingCount> _slots = new();
    // Counters counted into since they were last drained; a counter appears at most once unless a drain raced it.
    private readonly ConcurrentQueue<PendingCount> _queued = new();
    // The UTC day of the last walk over every counter (int.MinValue: none yet, so the first drain walks them all).
    private int _walkedDay = int.MinValue;
    // One small entry per key and day in use, outside Usage:MaxPendingCounters: only keys the store knows are counted,
    // so their number is the number of real keys, not whatever ids a client invents.
    private readonly ConcurrentDictionary<(string KeyId, int Day), KeyDayTargets> _keyDays = new();
    private readonly int _maxSlots;
    private readonly int _maxTargetSlots;
    private readonly int _maxTargetsPerKey;
    private readonly TimeProvider _time;
    private readonly GatewayMetrics _metrics;

    /// <summary>
    /// Marks every key and day as not yet in its day's set, so the next flush of each adds it again. Called when the
    /// store connection is restored: the set entry written once per process may be what a restart or failover lost.
    /// </summary>
    public void ForgetDayIndex()
    {
        foreach (var keyDay in _keyDays.Values)
        {
            Volatile.Write(ref keyDay.Indexed, 0);
        }
    }

    // The slots in _slots, plus those being added: kept by hand because ConcurrentDictionary.Count takes every lock.
    private int _slotCount;

    public UsageCounters(IOptions<UsageOptions> options, TimeProvider time, GatewayMetrics metrics)
    {
        _maxSlots = options.Value.MaxPendingCounters;
        _maxTargetSlots = _maxSlots - Math.Max(1, _maxSlots / 10);
        _maxTargetsPerKey = options.Value.MaxTargetsPerKey;
        _time = time;
        _metrics = metrics;
        metrics.ObservePendingUsage(() => Volatile.Read(ref _slotCount));
    }

    /// <summary>Keys and days whose target count is held (for tests: it takes every lock of the dictionary).</summary>
    public int KeyDayCount => _keyDays.Count;

    public void Record(ApiKey key, ScopeTarget target, bool allowed) => Count(key, target, allowed ? 0 : 1);

    public void RecordLimited(ApiKey key, ScopeTarget target) => Count(key, target, 2);

    /// <summary>Adds one to the slot's allowed (0), denied (1) or limited (2) count.</summary>
    private void Count(ApiKey key, ScopeTarget target, int outcome)
    {
        var now = _time.GetUtcNow();
        var slot = new UsageSlot(key.Id, UsageDays.Of(now), target.IsGraphQL ? null : target.EndpointId);
        if (!_slots.TryGetValue(slot, out var count))
        {
            count = AddTarget(slot);
            if (count is null)
            {
                // Bounded memory over completeness: the request is served, the loss is counted and visible.
                _metrics.UsageDropped();
                return;
            }
        }

        Interlocked.Increment(ref outcome == 0 ? ref count.Allowed : ref outcome == 1 ? ref count.Denied : ref count.Limited);
        // Last writer wins within one flush interval, which is the granularity usage is reported at (README, "Usage").
        Volatile.Write(ref count.LastUsedUnixMs, now.ToUnixTimeMilliseconds());
        // After the increment (a full fence), and Drain clears the flag before it takes the counts: either the drain
        // that cleared it takes this count, or this request finds the flag clear and queues the counter again.
        if (Volatile.Read(ref count.Queued) == 0 && Interlocked.CompareExchange(ref count.Queued, 1, 0) == 0)
        {
            _queued.Enqueue(count);
        }
    }

    /// <summary>
    /// The counter of a target new to this key and day: its own while the key is under its cap and memory is not
    /// near its bound, else the key's <c>other</c>; null when not even that can be held.
    /// </summary>
    private PendingCount? AddTarget(UsageSlot slot)
    {
        var targets = _keyDays.TryGetValue((slot.KeyId, slot.Day), out var found) ? found
            : _keyDays.GetOrAdd((slot.KeyId, slot.Day), static _ => new KeyDayTargets());
        if (!TryReserve(ref targets.Count, _maxTargetsPerKey))
        {
            // Another request may have just given this target its counter: a target counted separately stays so.
            return _slots.TryGetValue(slot, out var raced) ? raced : Other(slot, targets, UsageFold.MaxTargetsPerKey);
        }

        if (!TryReserve(ref _slotCount, _maxTargetSlots))
        {
            Interlocked.Decrement(ref targets.Count);
            return _slots.TryGetValue(slot, out var raced) ? raced : Other(slot, targets, UsageFold.MaxPendingCounters);
        }

        var added = new PendingCount(slot, targets);
        if (_slots.TryAdd(slot, added))
        {
            return added;
        }

        // Another request added the same target first: both reservations were for one target, so one is given back.
        Interlocked.Decrement(ref targets.Count);
        Interlocked.Decrement(ref _slotCount);
        return _slots[slot];
    }

    private PendingCount? Other(UsageSlot slot, KeyDayTargets keyDay, string reason)
    {
        var other = slot with { EndpointId = null, IsOther = true };
        if (!_slots.TryGetValue(other, out var count))
        {
            // The last tenth of the bound is for these: past all of it, the count is dropped (fails open: served, uncounted).
            if (!TryReserve(ref _slotCount, _maxSlots))
            {
                return null;
            }

            var added = new PendingCount(other, keyDay);
            if (_slots.TryAdd(other, added))
            {
                count = added;
            }
            else
            {
                Interlocked.Decrement(ref _slotCount);
                count = _slots[other];
            }
        }

        _metrics.UsageToOther(reason, 1);
        return count;
    }

    /// <summary>Adds one to <paramref name="count"/> unless that would pass <paramref name="max"/>; no lock, so two racing callers cannot both take the last place.</summary>
    private static bool TryReserve(ref int count, int max)
    {
        var current = Volatile.Read(ref count);
        while (current < max)
        {
            var seen = Interlocked.CompareExchange(ref count, current + 1, current);
            if (seen == current)
            {
                return true;
            }

            current = seen;
        }

        return false;
    }

    /// <summary>
    /// Takes every pending delta out of memory. The first drain of each UTC day walks every counter and releases those
    /// of past days that stayed idle; the others take only the counters queued since the last drain.
    /// </summary>
    public List<UsageDelta> Drain()
    {
        var today = UsageDays.Of(_time.GetUtcNow());
        if (today != _walkedDay)
        {
            _walkedDay = today;
            return DrainAll(today);
        }

        // The queue as it was at the start: counters queued while this runs wait for the next drain, so a busy gateway
        // cannot keep one drain going.
        var deltas = new List<UsageDelta>(_queued.Count);
        for (var n = _queued.Count; n > 0 && _queued.TryDequeue(out var count); n--)
        {
            TakeInto(deltas, count);
        }

        return deltas;
    }

    private List<UsageDelta> DrainAll(int today)
    {
        var deltas = new List<UsageDelta>();
        foreach (var (slot, count) in _slots)
        {
            if (!TakeInto(deltas, count)
                && UsageDays.IsBefore(slot.Day, today, days: 2)
                && _slots.TryRemove(new KeyValuePair<UsageSlot, PendingCount>(slot, count)))
            {
                // Two days idle: no request can still be counting into it, so removing it loses nothing.
                Interlocked.Decrement(ref _slotCount);
            }
        }

        foreach (var (keyDay, _) in _keyDays)
        {
            if (UsageDays.IsBefore(keyDay.Day, today, days: 2))
            {
                // A key's cap is per day: two days on, no request counts into that day any more.
                _keyDays.TryRemove(keyDay, out _);
            }
        }

        // Every counter was taken; a queued one met again next time gives nothing, which is harmless.
        return deltas;
    }

    /// <summary>Clears the counter's queued flag, then takes its counts (the order <see cref="Count"/> relies on).</summary>
    private static bool TakeInto(List<UsageDelta> deltas, PendingCount count)
    {
        Interlocked.Exchange(ref count.Queued, 0);
        var allowed = Interlocked.Exchange(ref count.Allowed, 0);
        var denied = Interlocked.Exchange(ref count.Denied, 0);
        var limited = Interlocked.Exchange(ref count.Limited, 0);
        if (allowed == 0 && denied == 0 && limited == 0)
        {
            return false;
        }

        deltas.Add(new UsageDelta(count.Slot, allowed, denied, Volatile.Read(ref count.LastUsedUnixMs)) { Limited = limited, KeyDay = count.KeyDay });
        return true;
    }
}

/// <summary>Why a count went to its key's <c>other</c> target: the <c>reason</c> label of <c>gateway.usage.to_other</c>.</summary>
internal static class UsageFold
{
    /// <summary>This instance already counts <c>Usage:MaxTargetsPerKey</c> targets of the key that day.</summary>
    public const string MaxTargetsPerKey = "max_targets_per_key";

    /// <summary>Redis already held <c>Usage:MaxTargetsPerKey</c> targets of the key that day, counted through any instance.</summary>
    public const string MaxTargetsPerKeyInStore = "max_targets_per_key_store";

    /// <summary>The counters in memory were near <c>Usage:MaxPendingCounters</c>.</summary>
    public const string MaxPendingCounters = "max_pending_counters";
}

/// <summary>What one slot gained since the last flush.</summary>
internal readonly record struct UsageDelta(UsageSlot Slot, long Allowed, long Denied, long LastUsedUnixMs)
{
    /// <summary>Requests refused by the key's rate limits (<c>&lt;target&gt;:limited</c>).</summary>
    public long Limited { get; init; }

    /// <summary>The key and day's state in this process; null (a delta made elsewhere) adds the key to the day set every time.</summary>
    public KeyDayTargets? KeyDay { get; init; }
}
