using System.Globalization;
using Gateway.Store;
using StackExchange.Redis;

namespace Gateway.RateLimiting;

/// <summary>What one lease call answered: tokens granted, and when refused, how long until room frees and each limit's remainder.</summary>
/// <summary>
/// What one lease call answered: tokens granted, and when refused, how long until room frees and each limit's remainder;
/// and the bucket of each limit the tokens were charged to (where unused ones go back).
/// </summary>
internal readonly record struct LeaseReply(long Granted, long RetryMs, long[] Remaining, long[] Buckets);

/// <summary>
/// The Redis side of the limits: one hash per key, <c>{prefix}ratelimit:{&lt;keyId&gt;}</c>, fields
/// <c>&lt;windowSeconds&gt;:&lt;bucket&gt;</c> holding admissions per sub-bucket. The <c>{keyId}</c> hash tag is the usage
/// keys' tag, so everything of one key is in one Redis Cluster slot. One script call applies returned or pushed counts,
/// then takes up to the wanted tokens if every limit has room: atomic, so instances never both take the last place.
/// </summary>
internal sealed class RateLimitStore(StoreConnection connection)
{
    // k below is SubBuckets.Counted - 1: the buckets counted before the current one; ahead is SubBuckets.Ahead, the buckets
    // after it counted too (a prefetched lease is charged to the next bucket before that bucket starts). KEYS[1] the hash.
    // ARGV[1] the time charged (ms, the caller's clock: now, or the start of the next bucket for a prefetch), ARGV[2]
    // tokens wanted, ARGV[3] n limits, then n pairs (requests, windowSeconds), then m and m triples (windowSeconds, bucket,
    // delta): counts given back (negative) or admitted while Redis was away (positive), applied first. Returns {granted,
    // retryMs from ARGV[1], remaining per limit, bucket charged per limit}. Field <windowSeconds>:hw is the newest
    // bucket granted into: a grant into bucket b counts b-k..b+ahead, and is never charged below hw-ahead, so every
    // grant sees every bucket granted into after its own (the exact bound does not rest on calls arriving in order).
    // The hash expires (on Redis's clock) twice the counted span plus a minute after its last write, while buckets age on
    // the callers' clocks: a caller's clock running behind Redis's (or a test's fake clock) must not see counts vanish
    // inside a window. Fields that left every span are deleted in one pass once the hash holds more than PruneAbove: a
    // fixed range deleted per call (as before) missed every field left behind by a pause in use longer than a span, and
    // the fields of a changed limit, so a key used on and off grew without bound while it was used at least once a span.
    private static readonly string LeaseScript = $$"""
        local k, ahead = {{SubBuckets.Counted - 1}}, {{SubBuckets.Ahead}}
        local unpack = unpack or table.unpack
        local width_per_second = {{SubBuckets.WidthMs(1)}}
        local now, want, n = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
        local at = 4 + 2 * n
        local m = tonumber(ARGV[at])
        for j = 0, m - 1 do
          local f = ARGV[at + 1 + 3 * j] .. ':' .. ARGV[at + 2 + 3 * j]
          if redis.call('HINCRBY', KEYS[1], f, tonumber(ARGV[at + 3 + 3 * j])) <= 0 then redis.call('HDEL', KEYS[1], f) end
        end
        local granted, retry, ttl, out, cur, hws = want, 0, 0, {}, {}, {}
        for r = 1, n do
          local limit, ws = tonumber(ARGV[2 + 2 * r]), ARGV[3 + 2 * r]
          local width = tonumber(ws) * width_per_second
          -- A call charged more than ahead buckets before the newest bucket granted into (a late script, a clock behind)
          -- is charged to the oldest bucket whose ahead buckets see that one: no grant ever misses a newer one.
          local b = math.floor(now / width)
          local hw = tonumber(redis.call('HGET', KEYS[1], ws .. ':hw'))
          if hw ~= nil and b < hw - ahead then b = hw - ahead end
          cur[r], hws[r] = b, hw
          local fields = {}
          for j = -ahead, k do fields[#fields + 1] = ws .. ':' .. string.format('%d', b - j) end
          local values = redis.call('HMGET', KEYS[1], unpack(fields))
          local sum, oldest = 0, b + ahead
          for i = #fields, 1, -1 do
            local v = tonumber(values[i]) or 0
            if v > 0 then
              sum = sum + v
              if b + ahead - (i - 1) < oldest then oldest = b + ahead - (i - 1) end
            end
          end
          local room = limit - sum
          if room < granted then granted = math.max(room, 0) end
          if room < 1 then
            local free = (oldest + k + 1) * width - now
            if free > retry then retry = free end
          end
          out[r + 2] = math.max(room, 0)
          out[n + r + 2] = b
          if 2 * (k + 2) * width + 60000 > ttl then ttl = 2 * (k + 2) * width + 60000 end
        end
        if granted > 0 or m > 0 then
          for r = 1, n do
            local ws = ARGV[3 + 2 * r]
            if granted > 0 then
              redis.call('HINCRBY', KEYS[1], ws .. ':' .. string.format('%d', cur[r]), granted)
              if hws[r] == nil or cur[r] > hws[r] then redis.call('HSET', KEYS[1], ws .. ':hw', string.format('%d', cur[r])) end
            end
          end
          if redis.call('HLEN', KEYS[1]) > {{PruneAbove}} then
            local all, stale = redis.call('HGETALL', KEYS[1]), {}
            for i = 1, #all, 2 do
              local ws, bucket = string.match(all[i], '^(%d+):(-?%d+)$')
              if ws == nil then
                ws = string.match(all[i], '^(%d+):hw$')
                bucket = all[i + 1]
              end
              if ws ~= nil and tonumber(bucket) + k + 1 + ahead < math.floor(now / (tonumber(ws) * width_per_second)) then
                stale[#stale + 1] = all[i]
              end
            end
            for i = 1, #stale, 1000 do redis.call('HDEL', KEYS[1], unpack(stale, i, math.min(i + 999, #stale))) end
          end
          redis.call('PEXPIRE', KEYS[1], ttl)
        end
        out[1] = granted
        out[2] = retry
        return out
        """;

    /// <summary>
    /// Most fields a key's hash holds before the script prunes it: every limit's counted and ahead buckets, for the
    /// key's limits and for a set of former ones still inside their spans, plus one more set of slack.
    /// </summary>
    internal const int PruneAbove = (SubBuckets.Counted + SubBuckets.Ahead) * (RateLimitRule.MaxRules + 1);

    private long _calls;

    private readonly string _prefix = connection.KeyPrefix;

    public RedisKey HashKey(string keyId) => $"{_prefix}ratelimit:{{{keyId}}}";

    /// <summary>Lease calls made (requests', prefetches' and the sweeper's): what the tests bound per window.</summary>
    public long Calls => Interlocked.Read(ref _calls);

    /// <summary>
    /// Applies <paramref name="adjustments"/>, then takes up to <paramref name="want"/> tokens charged to the buckets that
    /// hold <paramref name="atMs"/> (now, or the start of the next bucket for a prefetched lease).
    /// </summary>
    public async Task<LeaseReply> LeaseAsync(
        string keyId, RateLimitRule[] rules, long atMs, int want, IReadOnlyList<(int WindowSeconds, long Bucket, long Delta)> adjustments)
    {
        Interlocked.Increment(ref _calls);
        var args = new RedisValue[4 + (2 * rules.Length) + (3 * adjustments.Count)];
        var i = 0;
        args[i++] = atMs;
        args[i++] = want;
        args[i++] = rules.Length;
        foreach (var rule in rules)
        {
            args[i++] = rule.Requests;
            args[i++] = rule.WindowSeconds;
        }

        args[i++] = adjustments.Count;
        foreach (var (window, bucket, delta) in adjustments)
        {
            args[i++] = window;
            args[i++] = bucket.ToString(CultureInfo.InvariantCulture);
            args[i++] = delta;
        }

        var result = (RedisResult[])(await connection.Database.ScriptEvaluateAsync(LeaseScript, [HashKey(keyId)], args).ConfigureAwait(false))!;
        var remaining = new long[rules.Length];
        var buckets = new long[rules.Length];
        for (var r = 0; r < rules.Length; r++)
        {
            remaining[r] = (long)result[r + 2];
            buckets[r] = (long)result[rules.Length + r + 2];
        }

        return new LeaseReply((long)result[0], (long)result[1], remaining, buckets);
    }

    /// <summary>Whether the store answers: how the sweeper sees Redis come back after an outage.</summary>
    public async Task<bool> PingAsync()
    {
        try
        {
            // A plain read, not PING: it must reach a server (the multiplexer's own state can say connected too early).
            if (!connection.Multiplexer.IsConnected)
            {
                return false;
            }

            await connection.Database.KeyExistsAsync(HashKey("probe")).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Any failure is "not back yet": limits stay per instance (closed), the next tick asks again.
            return false;
        }
    }
}
