using System.Globalization;
using Gateway.Store;
using StackExchange.Redis;

namespace Gateway.RateLimiting;

/// <summary>What one lease call answered: tokens granted, and when refused, how long until room frees and each limit's remainder.</summary>
internal readonly record struct LeaseReply(long Granted, long RetryMs, long[] Remaining);

/// <summary>
/// The Redis side of the limits: one hash per key, <c>{prefix}ratelimit:{&lt;keyId&gt;}</c>, fields
/// <c>&lt;windowSeconds&gt;:&lt;bucket&gt;</c> holding admissions per sub-bucket. The <c>{keyId}</c> hash tag is the usage
/// keys' tag, so everything of one key is in one Redis Cluster slot. One script call applies returned or pushed counts,
/// then takes up to the wanted tokens if every limit has room: atomic, so instances never both take the last place.
/// </summary>
internal sealed class RateLimitStore(StoreConnection connection)
{
    // k below is SubBuckets.Counted - 1: the buckets counted before the current one. KEYS[1] the hash. ARGV[1] now (ms, the caller's clock), ARGV[2] tokens wanted, ARGV[3] n limits, then n pairs
    // (requests, windowSeconds), then m and m triples (windowSeconds, bucket, delta): counts given back (negative) or
    // admitted while Redis was away (positive), applied first. Returns {granted, retryMs, remaining per limit}.
    // The hash expires (on Redis's clock) twice the counted span plus a minute after its last write, while buckets age on the callers'
    // clocks: a caller's clock running behind Redis's (or a test's fake clock) must not see counts vanish inside a window.
    private static readonly string LeaseScript = $$"""
        local k = {{SubBuckets.Counted - 1}}
        local unpack = unpack or table.unpack
        local width_per_second = {{SubBuckets.WidthMs(1)}}
        local now, want, n = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
        local at = 4 + 2 * n
        local m = tonumber(ARGV[at])
        for j = 0, m - 1 do
          local f = ARGV[at + 1 + 3 * j] .. ':' .. ARGV[at + 2 + 3 * j]
          if redis.call('HINCRBY', KEYS[1], f, tonumber(ARGV[at + 3 + 3 * j])) <= 0 then redis.call('HDEL', KEYS[1], f) end
        end
        local granted, retry, ttl, out, cur = want, 0, 0, {}, {}
        for r = 1, n do
          local limit, ws = tonumber(ARGV[2 + 2 * r]), ARGV[3 + 2 * r]
          local width = tonumber(ws) * width_per_second
          local b = math.floor(now / width)
          cur[r] = b
          local fields = {}
          for j = 0, k do fields[j + 1] = ws .. ':' .. string.format('%d', b - j) end
          local values = redis.call('HMGET', KEYS[1], unpack(fields))
          local sum, oldest = 0, b
          for j = k + 1, 1, -1 do
            local v = tonumber(values[j]) or 0
            if v > 0 then
              sum = sum + v
              if b - (j - 1) < oldest then oldest = b - (j - 1) end
            end
          end
          local room = limit - sum
          if room < granted then granted = math.max(room, 0) end
          if room < 1 then
            local free = (oldest + k + 1) * width - now
            if free > retry then retry = free end
          end
          out[r + 2] = math.max(room, 0)
          if 2 * (k + 2) * width + 60000 > ttl then ttl = 2 * (k + 2) * width + 60000 end
        end
        if granted > 0 or m > 0 then
          for r = 1, n do
            local ws = ARGV[3 + 2 * r]
            if granted > 0 then redis.call('HINCRBY', KEYS[1], ws .. ':' .. string.format('%d', cur[r]), granted) end
            local stale = {}
            for j = k + 1, 2 * k + 2 do stale[#stale + 1] = ws .. ':' .. string.format('%d', cur[r] - j) end
            redis.call('HDEL', KEYS[1], unpack(stale))
          end
          redis.call('PEXPIRE', KEYS[1], ttl)
        end
        out[1] = granted
        out[2] = retry
        return out
        """;

    private readonly string _prefix = connection.KeyPrefix;

    public RedisKey HashKey(string keyId) => $"{_prefix}ratelimit:{{{keyId}}}";

    public async Task<LeaseReply> LeaseAsync(
        string keyId, RateLimitRule[] rules, long nowMs, int want, IReadOnlyList<(int WindowSeconds, long Bucket, long Delta)> adjustments)
    {
        var args = new RedisValue[4 + (2 * rules.Length) + (3 * adjustments.Count)];
        var i = 0;
        args[i++] = nowMs;
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
        for (var r = 0; r < rules.Length; r++)
        {
            remaining[r] = (long)result[r + 2];
        }

        return new LeaseReply((long)result[0], (long)result[1], remaining);
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
