using System.Globalization;
using Gateway.Configuration;
using Gateway.Observability;
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
internal sealed class UsageStore(StoreConnection connection, KeyStore keys, IOptions<UsageOptions> options, GatewayMetrics metrics)
{
    // KEYS[1] marker, KEYS[2] usage hash; ARGV[1] marker TTL s, ARGV[2] hash EXPIREAT, ARGV[3] Usage:MaxTargetsPerKey,
    // then target/allowed/denied/limited quadruples. Returns -1 for a batch already applied, else the requests it moved to 'other'.
    // The cap holds across instances here, in one atomic script on the hash itself: a target the hash does not have
    // yet is added only while the hash has fewer distinct targets than the cap, else its counts go to 'other'.
    // The distinct count is taken (HKEYS, at most about three fields per target) only when a new target arrives.
    private const string ApplyScript = """
        if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', tonumber(ARGV[1])) then return -1 end
        local cap, targets, moved = tonumber(ARGV[3]), nil, 0
        local function known(t)
          return redis.call('HEXISTS', KEYS[2], t .. ':allowed') == 1 or redis.call('HEXISTS', KEYS[2], t .. ':denied') == 1
            or redis.call('HEXISTS', KEYS[2], t .. ':limited') == 1
        end
        for i = 4, #ARGV, 4 do
          local target, allowed, denied, limited = ARGV[i], tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3])
          if target ~= 'other' and not known(target) then
            if targets == nil then
              local seen = {}
              targets = 0
              for _, field in ipairs(redis.call('HKEYS', KEYS[2])) do
                local t = string.match(field, '^(.*):[^:]*$')
                if t and t ~= 'other' and not seen[t] then seen[t] = true; targets = targets + 1 end
              end
            end
            if targets < cap then targets = targets + 1 else target = 'other'; moved = moved + allowed + denied + limited end
          end
          if allowed ~= 0 then redis.call('HINCRBY', KEYS[2], target .. ':allowed', allowed) end
          if denied ~= 0 then redis.call('HINCRBY', KEYS[2], target .. ':denied', denied) end
          if limited ~= 0 then redis.call('HINCRBY', KEYS[2], target .. ':limited', limited) end
        end
        redis.call('EXPIREAT', KEYS[2], tonumber(ARGV[2]))
        return moved
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
    private readonly int _maxTargetsPerKey = options.Value.MaxTargetsPerKey;

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
            var scripts = new List<Task<RedisResult>>(chunk.Length);
            var idsByDay = new Dictionary<int, List<RedisValue>>();
            foreach (var group in chunk)
            {
                var (keyId, day) = group.Key;
                var expireAt = UsageDays.ExpiresAt(day, _retentionDays).ToUnixTimeSeconds();
                var args = new List<RedisValue> { (long)MarkerLifetime.TotalSeconds, expireAt, _maxTargetsPerKey };
                foreach (var delta in group)
                {
                    args.Add(delta.Slot.Target);
                    args.Add(delta.Allowed);
                    args.Add(delta.Denied);
                    args.Add(delta.Limited);
                }

                // Concurrent calls pipeline on the one connection; nothing here waits on a single reply.
                scripts.Add(db.ScriptEvaluateAsync(ApplyScript, [MarkerKey(keyId, batch.Id, day), HashKey(keyId, day)], [.. args]));
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

            writes.AddRange(scripts);
            await Task.WhenAll(writes).ConfigureAwait(false);
            var moved = scripts.Sum(s => Math.Max(0, (long)s.Result));
            if (moved > 0)
            {
                metrics.UsageToOther(UsageFold.MaxTargetsPerKeyInStore, moved);
            }
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
