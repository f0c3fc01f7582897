using System.Globalization;
using Gateway.Configuration;
using Gateway.Observability;
using Gateway.Store;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Gateway.Usage;

/// <summary>
/// The Redis usage layout (README, "Redis layout (stable, for scrapers)"), written and read. A flush is planned into script calls grouped by hash slot
/// (<see cref="UsageWritePlan"/>), each adding many keys' deltas and their <c>lastUsedAt</c> (the slot's sorted set,
/// never the key records) at once, so a flush's Redis cost grows with the slots and calls it needs, not with the keys
/// in it; each call is idempotent through its marker (<see cref="UsageScript"/>) and touches one slot, so the layout
/// stays Cluster safe. The day index is written apart, once per key and day (<see cref="UsageScript.Index"/>).
/// </summary>
internal sealed class UsageStore(StoreConnection connection, KeyStore keys, IOptions<UsageOptions> options, GatewayMetrics metrics)
{
    // Units (writes) sent before awaiting their replies: the connection is the one the request path's key reads share,
    // and a flush sent at once would queue every read behind it; between waves the reads go through. Counted in units,
    // not calls: on one server a wave is 4 full calls (a few ms of Redis time), on a cluster up to 2,000 one-key calls.
    private const int UnitsInFlight = 4 * UsageWritePlan.MaxUnitsPerCall;
    private readonly int _maxTargetsPerKey = options.Value.MaxTargetsPerKey;
    private readonly UsageLayout _layout = new(connection.KeyPrefix, keys.LastUsedKey, options.Value.RetentionDays, connection.Multiplexer.HashSlot);

    public RedisKey HashKey(string keyId, int day) => _layout.HashKey(keyId, day);

    public RedisKey DayIndexKey(int day) => _layout.DayIndexKey(day);

    /// <summary>The batch's script calls: planned on first use, then the same for every retry.</summary>
    public IReadOnlyList<UsageCall> Plan(UsageBatch batch) =>
        batch.CallsPlannedBy(() => new UsageWritePlan(_layout, connection.Multiplexer.HashSlot, batch.Sequence, _maxTargetsPerKey));

    /// <summary>Writes what of <paramref name="batch"/> has not landed yet; throws when any call failed (retry it).</summary>
    public async Task ApplyAsync(UsageBatch batch)
    {
        if (batch.Calls is null && !connection.Multiplexer.IsConnected)
        {
            // Not planned before a connection: until one, StackExchange.Redis has not learnt whether it talks to a
            // cluster (it gives every key slot -1), and a plan made then would mix slots in one call for good.
            throw new InvalidOperationException("The store is not connected; the usage batch is kept and retried.");
        }

        var calls = Plan(batch);
        var db = connection.Database;
        foreach (var wave in Waves(calls.Where(c => !c.Landed)))
        {
            var sent = Array.ConvertAll(wave, c => db.ScriptEvaluateAsync(UsageScript.Text, c.Keys, c.Args));
            long moved = 0;
            try
            {
                await Task.WhenAll(sent).ConfigureAwait(false);
            }
            finally
            {
                // A call Redis answered is done, whatever happened to the others: a retry sends only the rest.
                for (var i = 0; i < sent.Length; i++)
                {
                    if (sent[i].IsCompletedSuccessfully)
                    {
                        moved += wave[i].Land(sent[i].Result);
                    }
                }

                if (moved > 0)
                {
                    metrics.UsageToOther(UsageFold.MaxTargetsPerKeyInStore, moved);
                }
            }
        }

        await IndexAsync(batch).ConfigureAwait(false);
    }

    /// <summary>
    /// Adds the batch's keys that this process has not yet added (or whose hash just got a new field) to their day's set,
    /// after the counts landed: once per key and day, not once per flush. A failure throws and the batch is retried; the
    /// calls that landed are not sent again, and the keys added are not added again.
    /// </summary>
    private async Task IndexAsync(UsageBatch batch)
    {
        var db = connection.Database;
        var pieces = batch.KeyDays!
            .Where(k => k.State is not { } state || Volatile.Read(ref state.Indexed) == 0)
            .GroupBy(k => k.Day)
            .SelectMany(day => day.Chunk(UsageWritePlan.MaxUnitsPerCall));
        foreach (var wave in pieces.Chunk(UnitsInFlight / UsageWritePlan.MaxUnitsPerCall))
        {
            var sent = Array.ConvertAll(wave, piece => db.ScriptEvaluateAsync(
                UsageScript.Index,
                [_layout.DayIndexKey(piece[0].Day)],
                [_layout.ExpireAt(piece[0].Day), .. piece.Select(k => (RedisValue)k.KeyId)]));
            try
            {
                await Task.WhenAll(sent).ConfigureAwait(false);
            }
            finally
            {
                for (var i = 0; i < sent.Length; i++)
                {
                    foreach (var keyDay in sent[i].IsCompletedSuccessfully ? wave[i] : [])
                    {
                        if (keyDay.State is { } state)
                        {
                            Volatile.Write(ref state.Indexed, 1);
                        }
                    }
                }
            }
        }
    }

    private static IEnumerable<UsageCall[]> Waves(IEnumerable<UsageCall> calls)
    {
        var wave = new List<UsageCall>();
        var units = 0;
        foreach (var call in calls)
        {
            wave.Add(call);
            units += call.Units;
            if (units >= UnitsInFlight)
            {
                yield return [.. wave];
                wave.Clear();
                units = 0;
            }
        }

        if (wave.Count > 0)
        {
            yield return [.. wave];
        }
    }

    /// <summary>Per day (newest first), per target, the allowed, denied and limited counts; days without counts are omitted.</summary>
    public async Task<IReadOnlyList<(int Day, SortedDictionary<string, (long Allowed, long Denied, long Limited)> Targets)>> ReadAsync(string keyId, int today, int days)
    {
        var db = connection.Database;
        var reads = new List<(int Day, Task<HashEntry[]> Entries)>(days);
        var start = UsageDays.Start(today);
        for (var i = 0; i < days; i++)
        {
            var day = UsageDays.Of(start.AddDays(-i));
            reads.Add((day, db.HashGetAllAsync(HashKey(keyId, day))));
        }

        await Task.WhenAll(reads.Select(r => r.Entries)).ConfigureAwait(false);
        var result = new List<(int, SortedDictionary<string, (long, long, long)>)>();
        foreach (var (day, entries) in reads)
        {
            var targets = new SortedDictionary<string, (long Allowed, long Denied, long Limited)>(StringComparer.Ordinal);
            foreach (var entry in entries.Result)
            {
                var field = (string)entry.Name!;
                var colon = field.LastIndexOf(':');
                if (colon <= 0 || !long.TryParse((string?)entry.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var count))
                {
                    continue;
                }

                var target = field[..colon];
                targets.TryGetValue(target, out var counts);
                targets[target] = field[(colon + 1)..] switch
                {
                    "allowed" => counts with { Allowed = counts.Allowed + count },
                    "denied" => counts with { Denied = counts.Denied + count },
                    "limited" => counts with { Limited = counts.Limited + count },
                    _ => counts,
                };
            }

            if (targets.Count > 0)
            {
                result.Add((day, targets));
            }
        }

        return result;
    }
}
