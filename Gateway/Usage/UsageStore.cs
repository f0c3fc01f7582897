using System.Globalization;
using Gateway.Configuration;
using Gateway.Store;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Gateway.Usage;

/// <summary>A batch of deltas with an id: retrying it after a lost reply applies nothing twice.</summary>
internal sealed record UsageBatch(string Id, IReadOnlyList<UsageDelta> Deltas);

/// <summary>
/// The Redis usage layout of contract §6, written and read. Per key and day one Lua script adds the deltas and
/// sets a marker named after the batch in the same hash slot (the <c>{keyId}</c> tag), so a retried batch is a no-op
/// and the layout stays Redis Cluster safe.
/// </summary>
internal sealed class UsageStore(StoreConnection connection, KeyStore keys, IOptions<UsageOptions> options)
{
    // KEYS[1] marker, KEYS[2] usage hash; ARGV[1] marker TTL s, ARGV[2] hash EXPIREAT, then field/delta pairs.
    private const string ApplyScript = """
        if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', tonumber(ARGV[1])) then return 0 end
        for i = 3, #ARGV, 2 do redis.call('HINCRBY', KEYS[2], ARGV[i], tonumber(ARGV[i + 1])) end
        redis.call('EXPIREAT', KEYS[2], tonumber(ARGV[2]))
        return 1
        """;

    // KEYS[1] key record; ARGV[1] unix ms. Never creates a record (a deleted key stays deleted) and never moves back.
    private const string LastUsedScript = """
        if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
        local current = tonumber(redis.call('HGET', KEYS[1], 'lastUsedAt') or '0') or 0
        if tonumber(ARGV[1]) > current then redis.call('HSET', KEYS[1], 'lastUsedAt', ARGV[1]) end
        return 1
        """;

    // Keys per awaited chunk of a flush (see ApplyAsync).
    private const int FlushChunk = 500;
    private static readonly TimeSpan MarkerLifetime = TimeSpan.FromDays(1);
    private readonly string _prefix = connection.KeyPrefix;
    private readonly int _retentionDays = options.Value.RetentionDays;

    public RedisKey HashKey(string keyId, int day) => $"{_prefix}usage:{{{keyId}}}:{UsageDays.Format(day)}";

    public RedisKey DayIndexKey(int day) => $"{_prefix}usage:keys:{UsageDays.Format(day)}";

    private RedisKey MarkerKey(string keyId, string batchId, int day) => $"{_prefix}usagebatch:{{{keyId}}}:{batchId}:{UsageDays.Format(day)}";

    public async Task ApplyAsync(UsageBatch batch)
    {
        var db = connection.Database;
        // In chunks, each awaited: with many keys in use a flush is tens of thousands of commands on the one connection
        // the request path's key reads share, and sent at once they queued every read behind them (bench/coldpath.sh,
        // 100,000 keys: p99 over 100 ms). Between chunks the reads go through.
        foreach (var chunk in batch.Deltas.GroupBy(d => (d.Slot.KeyId, d.Slot.Day)).Chunk(FlushChunk))
        {
            var writes = new List<Task>(chunk.Length + 4);
            var idsByDay = new Dictionary<int, List<RedisValue>>();
            foreach (var group in chunk)
            {
                var (keyId, day) = group.Key;
                var expireAt = UsageDays.ExpiresAt(day, _retentionDays).ToUnixTimeSeconds();
                var args = new List<RedisValue> { (long)MarkerLifetime.TotalSeconds, expireAt };
                foreach (var delta in group)
                {
                    var target = delta.Slot.Target;
                    if (delta.Allowed != 0)
                    {
                        args.Add(target + ":allowed");
                        args.Add(delta.Allowed);
                    }

                    if (delta.Denied != 0)
                    {
                        args.Add(target + ":denied");
                        args.Add(delta.Denied);
                    }
                }

                // Concurrent calls pipeline on the one connection; nothing here waits on a single reply.
                writes.Add(db.ScriptEvaluateAsync(ApplyScript, [MarkerKey(keyId, batch.Id, day), HashKey(keyId, day)], [.. args]));
                if (!idsByDay.TryGetValue(day, out var ids))
                {
                    idsByDay[day] = ids = [];
                }

                ids.Add(keyId);
            }

            // The day's index of key ids: one SADD and one EXPIREAT per day and chunk, not one of each per key.
            foreach (var (day, ids) in idsByDay)
            {
                writes.Add(db.SetAddAsync(DayIndexKey(day), [.. ids]));
                writes.Add(db.KeyExpireAsync(DayIndexKey(day), UsageDays.ExpiresAt(day, _retentionDays).UtcDateTime));
            }

            await Task.WhenAll(writes).ConfigureAwait(false);
        }

        foreach (var chunk in batch.Deltas.GroupBy(d => d.Digest).Chunk(FlushChunk))
        {
            var writes = new List<Task>(chunk.Length);
            foreach (var group in chunk)
            {
                var lastUsed = group.Max(d => d.LastUsedUnixMs);
                var recordKey = keys.RecordKey(group.Key);
                writes.Add(db.ScriptEvaluateAsync(LastUsedScript, [recordKey], [lastUsed]));
            }

            await Task.WhenAll(writes).ConfigureAwait(false);
        }
    }

    /// <summary>Per day (newest first), per target, the allowed and denied counts; days without counts are omitted.</summary>
    public async Task<IReadOnlyList<(int Day, SortedDictionary<string, (long Allowed, long Denied)> Targets)>> ReadAsync(string keyId, int today, int days)
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
        var result = new List<(int, SortedDictionary<string, (long, long)>)>();
        foreach (var (day, entries) in reads)
        {
            var targets = new SortedDictionary<string, (long Allowed, long Denied)>(StringComparer.Ordinal);
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
                    "allowed" => (counts.Allowed + count, counts.Denied),
                    "denied" => (counts.Allowed, counts.Denied + count),
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
