using StackExchange.Redis;

namespace Gateway.Usage;

/// <summary>
/// A flush's deltas with its sequence number (monotonic per <see cref="UsageStore"/>). It is planned into script calls
/// once, on its first attempt, and a retry sends again only the calls whose reply never came.
/// </summary>
internal sealed class UsageBatch(long sequence, IReadOnlyList<UsageDelta> deltas)
{
    public long Sequence { get; } = sequence;

    /// <summary>The deltas, until the batch is planned (then the calls hold them, and this is released).</summary>
    public IReadOnlyList<UsageDelta>? Deltas { get; private set; } = deltas;

    /// <summary>The script calls, fixed once planned: a call's marker must name the same writes on every retry.</summary>
    public IReadOnlyList<UsageCall>? Calls { get; private set; }

    /// <summary>The batch's keys and days, set with <see cref="Calls"/>: those not yet in their day's set are added once the calls landed.</summary>
    public IReadOnlyList<UsageKeyDay>? KeyDays { get; private set; }

    /// <summary>Requests counted in this batch and not yet known to be in Redis.</summary>
    public long Unwritten
    {
        get
        {
            lock (_gate)
            {
                return Calls is { } calls ? calls.Where(c => !c.Landed).Sum(c => c.Requests) : Deltas!.Sum(d => d.Allowed + d.Denied + d.Limited);
            }
        }
    }

    private readonly Lock _gate = new();

    /// <summary>The calls, planned by <paramref name="plan"/> on the first attempt and the same on every later one.</summary>
    public IReadOnlyList<UsageCall> CallsPlannedBy(Func<IReadOnlyList<UsageDelta>, IReadOnlyList<UsageCall>> plan)
    {
        lock (_gate)
        {
            if (Calls is null)
            {
                Calls = plan(Deltas!);
                KeyDays = [.. Deltas!.DistinctBy(d => (d.Slot.KeyId, d.Slot.Day)).Select(d => new UsageKeyDay(d.Slot.KeyId, d.Slot.Day, d.KeyDay))];
                Deltas = null;
            }

            return Calls;
        }
    }
}

/// <summary>
/// One script call of a flush: every key it touches is in one Redis Cluster hash slot, <c>KEYS[1]</c> is its marker.
/// <see cref="Landed"/> is set once Redis answered it.
/// </summary>
internal sealed class UsageCall(RedisKey[] keys, RedisValue[] args, long requests, int units, KeyDayTargets?[] writeKeyDays)
{
    /// <summary>Its writes' units (see <see cref="UsageWritePlan.MaxUnitsPerCall"/>): about how long it holds Redis.</summary>
    public int Units { get; } = units;

    public RedisKey[] Keys { get; } = keys;

    public RedisValue[] Args { get; } = args;

    public long Requests { get; } = requests;

    public bool Landed { get; private set; }

    /// <summary>
    /// Marks the call landed with the script's answer, <c>{moved, created hash writes...}</c> or <c>{-1}</c> (applied
    /// before, its reply lost); a key-day whose hash got a new field is added to its day's set again (see
    /// <see cref="KeyDayTargets.Indexed"/>). Returns the requests the script moved to <c>other</c>.
    /// </summary>
    public long Land(RedisResult result)
    {
        Landed = true;
        for (var i = 1; i < result.Length; i++)
        {
            if (writeKeyDays[(int)result[i] - 1] is { } keyDay)
            {
                Volatile.Write(ref keyDay.Indexed, 0);
            }
        }

        return Math.Max(0, (long)result[0]);
    }
}

/// <summary>A key and day of a batch, with its state in this process (null: always added to the day set).</summary>
internal readonly record struct UsageKeyDay(string KeyId, int Day, KeyDayTargets? State);

/// <summary>
/// Turns a batch's deltas into script calls: the writes (usage hashes, key records' <c>lastUsedAt</c>) grouped by the
/// hash slot of the key each touches, then packed into calls of at most
/// <see cref="MaxUnitsPerCall"/> units (a target's counts, a record) so no call holds Redis for long. The day sets are
/// not in these calls: a key is added to its day's set once per process and day (<see cref="UsageStore"/>), not per flush.
/// On one Redis server there are no slots (StackExchange.Redis gives every key -1), so every write shares one group
/// and a flush of any size is a handful of calls; on a cluster there are at most 16,384 groups however many keys.
/// </summary>
internal sealed class UsageWritePlan(UsageLayout layout, Func<RedisKey, int> slotOf, long sequence, int maxTargetsPerKey)
{
    /// <summary>At most this many units per call, so one call holds Redis for about a millisecond at most.</summary>
    public const int MaxUnitsPerCall = 500;

    private readonly List<UsageCall> _calls = [];
    private readonly Dictionary<int, SlotGroup> _groups = [];

    public IReadOnlyList<UsageCall> Plan(IReadOnlyList<UsageDelta> deltas)
    {
        foreach (var group in deltas.GroupBy(d => (d.Slot.KeyId, d.Slot.Day)))
        {
            var (keyId, day) = group.Key;
            var hash = layout.HashKey(keyId, day);
            var targets = group.ToArray();
            for (var i = 0; i < targets.Length; i += MaxUnitsPerCall)
            {
                // A key past MaxUnitsPerCall targets (up to Usage:MaxTargetsPerKey and 'other') spans calls; each
                // call re-reads the hash's targets, so the cap holds across them.
                var piece = targets.AsSpan(i, Math.Min(MaxUnitsPerCall, targets.Length - i));
                var items = new List<RedisValue>(piece.Length * 2);
                long requests = 0;
                foreach (var delta in piece)
                {
                    // Whole field names, zero counts left out: the script's usual work is one HINCRBY per item pair.
                    var target = delta.Slot.Target;
                    AddField(items, target, ":allowed", delta.Allowed);
                    AddField(items, target, ":denied", delta.Denied);
                    AddField(items, target, ":limited", delta.Limited);
                    requests += delta.Allowed + delta.Denied + delta.Limited;
                }

                Add(new UsageWrite(UsageScript.Hash, hash, layout.ExpireAt(day), [.. items], piece.Length, requests) { KeyDay = piece[0].KeyDay });
            }
        }

        foreach (var group in deltas.GroupBy(d => d.Digest))
        {
            Add(new UsageWrite(UsageScript.LastUsed, layout.RecordKey(group.Key), group.Max(d => d.LastUsedUnixMs), [], 1, 0));
        }

        foreach (var (slot, group) in _groups)
        {
            Close(slot, group);
        }

        return _calls;
    }

    private static void AddField(List<RedisValue> items, string target, string outcome, long count)
    {
        if (count != 0)
        {
            items.Add(target + outcome);
            items.Add(count);
        }
    }

    private void Add(UsageWrite write)
    {
        var slot = slotOf(write.Key);
        if (!_groups.TryGetValue(slot, out var group))
        {
            _groups[slot] = group = new SlotGroup();
        }

        if (group.Units + write.Units > MaxUnitsPerCall)
        {
            Close(slot, group);
        }

        group.Writes.Add(write);
        group.Units += write.Units;
    }

    private void Close(int slot, SlotGroup group)
    {
        if (group.Writes.Count == 0)
        {
            return;
        }

        // The marker is in the calls' own slot (idempotence and Cluster both need one slot per call); the n-th call of
        // a slot in a batch has the n-th marker, so no two calls of a batch share one.
        var marker = layout.MarkerKey(slot, group.Closed);
        _calls.Add(UsageScript.Call(marker, sequence, maxTargetsPerKey, group.Writes));
        group.Closed++;
        group.Writes.Clear();
        group.Units = 0;
    }

    /// <summary>The writes of one slot not yet in a call.</summary>
    private sealed class SlotGroup
    {
        public List<UsageWrite> Writes { get; } = [];

        public int Units { get; set; }

        public int Closed { get; set; }
    }
}

/// <summary>
/// One write of a call. <see cref="UsageScript.Hash"/>: <see cref="Items"/> are field/increment pairs,
/// <see cref="Value"/> the hash's EXPIREAT and <see cref="KeyDay"/> its key and day in this process;
/// <see cref="UsageScript.LastUsed"/>: no items, <see cref="Value"/> the unix ms.
/// </summary>
internal readonly record struct UsageWrite(string Kind, RedisKey Key, long Value, RedisValue[] Items, int Units, long Requests)
{
    public KeyDayTargets? KeyDay { get; init; }
}
