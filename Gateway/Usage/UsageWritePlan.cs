using Gateway.Keys;
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

    /// <summary>The calls, planned by the planner <paramref name="plan"/> gives on the first attempt, and the same on every later one.</summary>
    public IReadOnlyList<UsageCall> CallsPlannedBy(Func<UsageWritePlan> plan)
    {
        lock (_gate)
        {
            if (Calls is null)
            {
                var planner = plan();
                Calls = planner.Plan(Deltas!);
                KeyDays = planner.KeyDays;
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
/// Turns a batch's deltas into script calls: the usage hashes' writes, with their keys' <c>lastUsedAt</c>, grouped by the
/// hash slot of the key each touches, then packed into calls of at most
/// <see cref="MaxUnitsPerCall"/> units (a target's counts) so no call holds Redis for long. The day sets are
/// not in these calls: a key is added to its day's set once per process and day (<see cref="UsageStore"/>), not per flush.
/// On one Redis server there are no slots (StackExchange.Redis gives every key -1), so every write shares one group
/// and a flush of any size is a handful of calls; on a cluster there are at most 16,384 groups however many keys.
/// <para>
/// It runs once per flush over every key used in the last second (10,000 and more with 100,000 keys in use), so it builds
/// nothing twice: the deltas are grouped by their key and day without LINQ, and the Redis names (a key-day's hash and
/// expiry, a target's three field names) are encoded once and kept (<see cref="UsageNames"/>,
/// <see cref="UsageFields"/>): 10,000 keys took 71 ms and 15.7 MB per flush before (bench/HotPath UsagePlanBenchmarks).
/// </para>
/// </summary>
internal sealed class UsageWritePlan(UsageLayout layout, Func<RedisKey, int> slotOf, long sequence, int maxTargetsPerKey)
{
    /// <summary>At most this many units per call, so one call holds Redis for about a millisecond at most.</summary>
    public const int MaxUnitsPerCall = 500;

    private readonly List<UsageCall> _calls = [];
    private readonly Dictionary<int, SlotGroup> _groups = [];

    /// <summary>The planned deltas' keys and days, each once, in the order first met (set by <see cref="Plan"/>).</summary>
    public List<UsageKeyDay> KeyDays { get; } = [];

    public IReadOnlyList<UsageCall> Plan(IReadOnlyList<UsageDelta> deltas)
    {
        // The deltas of each key and day, chained in the order met: next[i] follows delta i in its key-day (-1: last).
        var next = new int[deltas.Count];
        var chains = new List<Chain>(deltas.Count);
        var byState = new Dictionary<KeyDayTargets, int>(deltas.Count);
        Dictionary<(string KeyId, int Day), int>? byName = null;
        for (var i = 0; i < deltas.Count; i++)
        {
            var delta = deltas[i];
            next[i] = -1;
            int chain;
            bool known;
            if (delta.KeyDay is { } state)
            {
                // One object per key and day in this process, so its identity is the grouping: no string hashed.
                known = byState.TryGetValue(state, out chain);
                if (!known)
                {
                    byState[state] = chains.Count;
                }
            }
            else
            {
                // A delta made elsewhere (tests) has no per-process state: grouped by its names.
                byName ??= [];
                known = byName.TryGetValue((delta.Slot.KeyId, delta.Slot.Day), out chain);
                if (!known)
                {
                    byName[(delta.Slot.KeyId, delta.Slot.Day)] = chains.Count;
                }
            }

            if (known)
            {
                var c = chains[chain];
                next[c.Tail] = i;
                chains[chain] = c with { Tail = i, Count = c.Count + 1 };
            }
            else
            {
                chains.Add(new Chain(i, i, 1));
                KeyDays.Add(new UsageKeyDay(delta.Slot.KeyId, delta.Slot.Day, delta.KeyDay));
            }
        }

        foreach (var c in chains)
        {
            var first = deltas[c.Head];
            var names = UsageNames.For(layout, first);
            // The key's latest use over the key-day's deltas, written with its first piece (moved forward only, per key id).
            long lastUsed = 0;
            for (var i = c.Head; i >= 0; i = next[i])
            {
                lastUsed = Math.Max(lastUsed, deltas[i].LastUsedUnixMs);
            }

            for (int i = c.Head, done = 0; i >= 0; done += MaxUnitsPerCall)
            {
                // A key past MaxUnitsPerCall targets (up to Usage:MaxTargetsPerKey and 'other') spans calls; each
                // call re-reads the hash's targets, so the cap holds across them.
                var piece = Math.Min(MaxUnitsPerCall, c.Count - done);
                var fields = 0;
                for (int j = i, n = 0; n < piece; j = next[j], n++)
                {
                    var d = deltas[j];
                    fields += (d.Allowed != 0 ? 1 : 0) + (d.Denied != 0 ? 1 : 0) + (d.Limited != 0 ? 1 : 0);
                }

                // Whole field names, zero counts left out: the script's usual work is one HINCRBY per item pair.
                var items = new RedisValue[2 * fields];
                var at = 0;
                long requests = 0;
                for (var n = 0; n < piece; i = next[i], n++)
                {
                    var d = deltas[i];
                    var target = UsageFields.For(d.Slot);
                    AddField(items, ref at, target.Allowed, d.Allowed);
                    AddField(items, ref at, target.Denied, d.Denied);
                    AddField(items, ref at, target.Limited, d.Limited);
                    requests += d.Allowed + d.Denied + d.Limited;
                }

                Add(new UsageWrite(names.Hash, names.ExpireAt, items, piece, requests)
                {
                    KeyDay = first.KeyDay,
                    KeyId = done == 0 ? names.KeyId : null,
                    LastUsedUnixMs = lastUsed,
                });
            }
        }

        foreach (var (slot, group) in _groups)
        {
            Close(slot, group);
        }

        return _calls;
    }

    private static void AddField(RedisValue[] items, ref int at, RedisValue field, long count)
    {
        if (count != 0)
        {
            items[at++] = field;
            items[at++] = count;
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
        _calls.Add(UsageScript.Call(marker, layout.LastUsedKey(slot), sequence, maxTargetsPerKey, group.Writes));
        group.Closed++;
        group.Writes.Clear();
        group.Units = 0;
    }

    /// <summary>A key-day's deltas: the first and last index in the batch, and how many.</summary>
    private readonly record struct Chain(int Head, int Tail, int Count);

    /// <summary>The writes of one slot not yet in a call.</summary>
    private sealed class SlotGroup
    {
        public List<UsageWrite> Writes { get; } = [];

        public int Units { get; set; }

        public int Closed { get; set; }
    }
}

/// <summary>
/// The Redis names of one key and day, its usage hash UTF-8 encoded once, with that hash's EXPIREAT. Kept on the key-day's
/// <see cref="KeyDayTargets"/> by the first flush that writes it, so a key used every second costs its names once a day,
/// not once a flush.
/// </summary>
internal sealed class UsageNames(UsageLayout layout, string keyId, RedisKey hash, long expireAt)
{
    public UsageLayout Layout { get; } = layout;

    public string KeyId { get; } = keyId;

    public RedisKey Hash { get; } = hash;

    public long ExpireAt { get; } = expireAt;

    /// <summary>The names of <paramref name="delta"/>'s key and day: the ones kept on its state, else built (and kept).</summary>
    public static UsageNames For(UsageLayout layout, in UsageDelta delta)
    {
        // Races between flushes are harmless: both build the same names, and either is kept.
        if (delta.KeyDay?.Names is { } kept && ReferenceEquals(kept.Layout, layout))
        {
            return kept;
        }

        var hash = layout.HashKey(delta.Slot.KeyId, delta.Slot.Day);
        var names = new UsageNames(layout, delta.Slot.KeyId, System.Text.Encoding.UTF8.GetBytes((string)hash!), layout.ExpireAt(delta.Slot.Day));
        if (delta.KeyDay is { } state)
        {
            Volatile.Write(ref state.Names, names);
        }

        return names;
    }
}

/// <summary>
/// A target's three field names (<c>&lt;target&gt;:allowed</c>, <c>:denied</c>, <c>:limited</c>), UTF-8 encoded once. GraphQL's and
/// <c>other</c>'s are fixed; an endpoint's are kept per endpoint id up to <see cref="MaxKept"/> ids (ids are bounded per key
/// by <c>Usage:MaxTargetsPerKey</c>, not across keys, so past that they are built per flush as before).
/// </summary>
internal sealed class UsageFields
{
    /// <summary>Endpoint ids whose names are kept.</summary>
    public const int MaxKept = 10_000;

    private static readonly UsageFields GraphQL = new(ScopeTarget.GraphQLName);
    private static readonly UsageFields Other = new(UsageSlot.OtherName);
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, UsageFields> s_endpoints = new(StringComparer.Ordinal);

    private UsageFields(string target)
    {
        Allowed = Encode(target, ":allowed");
        Denied = Encode(target, ":denied");
        Limited = Encode(target, ":limited");
    }

    public RedisValue Allowed { get; }

    public RedisValue Denied { get; }

    public RedisValue Limited { get; }

    public static UsageFields For(in UsageSlot slot)
    {
        if (slot.IsOther)
        {
            return Other;
        }

        if (slot.EndpointId is not { } id)
        {
            return GraphQL;
        }

        if (s_endpoints.TryGetValue(id, out var kept))
        {
            return kept;
        }

        var fields = new UsageFields(ScopeTarget.EndpointPrefix + id);
        if (s_endpoints.Count < MaxKept)
        {
            s_endpoints.TryAdd(id, fields);
        }

        return fields;
    }

    private static RedisValue Encode(string target, string outcome) => System.Text.Encoding.UTF8.GetBytes(target + outcome);
}

/// <summary>
/// One write of a call: a usage hash, <see cref="Items"/> its field/increment pairs and <see cref="ExpireAt"/> its EXPIREAT;
/// <see cref="KeyDay"/> its key and day in this process. <see cref="KeyId"/> (set on a key-day's first write) and
/// <see cref="LastUsedUnixMs"/> move the key's <c>lastUsedAt</c> in the call's slot sorted set.
/// </summary>
internal readonly record struct UsageWrite(RedisKey Key, long ExpireAt, RedisValue[] Items, int Units, long Requests)
{
    public KeyDayTargets? KeyDay { get; init; }

    public string? KeyId { get; init; }

    public long LastUsedUnixMs { get; init; }
}
