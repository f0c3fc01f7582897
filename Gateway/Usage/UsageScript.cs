using StackExchange.Redis;

namespace Gateway.Usage;

/// <summary>
/// The one Lua script of a flush. A call applies many writes, all in one hash slot, atomically and at most once: it
/// runs only if its marker holds a smaller sequence than the call's (a retry after a lost reply, or a late duplicate,
/// finds its own sequence there and changes nothing), then records the sequence.
/// </summary>
internal static class UsageScript
{
    /// <summary>A usage hash: target/allowed/denied/limited quadruples, then EXPIREAT.</summary>
    public const string Hash = "h";

    /// <summary>A key record's <c>lastUsedAt</c>: moved forward, never back, and a deleted record is never created.</summary>
    public const string LastUsed = "l";

    /// <summary>A day index set: SADD members, then EXPIREAT.</summary>
    public const string DayIndex = "s";

    /// <summary>How long a marker is kept after its last write: a batch retried after longer could count twice.</summary>
    public static readonly TimeSpan MarkerLifetime = TimeSpan.FromDays(1);

    // KEYS[1] marker; ARGV[1] sequence, ARGV[2] marker TTL s, ARGV[3] Usage:MaxTargetsPerKey; then for write j
    // (key KEYS[j + 1]): kind, value, item count, items. Returns -1 for a call already applied, else the requests it
    // moved to 'other'. The cap holds across instances here, on the hash itself: a target the hash does not have yet
    // is added only while the hash has fewer distinct targets than the cap, else its counts go to 'other'. The distinct
    // count is taken (HKEYS, about three fields per target) only when a new target arrives. A usage hash's EXPIREAT is
    // set only by a call that created one of its fields (HINCRBY answered the increment itself), as a new hash's does.
    public const string Text = """
        if tonumber(ARGV[1]) <= tonumber(redis.call('GET', KEYS[1]) or '-1') then return -1 end
        redis.call('SET', KEYS[1], ARGV[1], 'EX', tonumber(ARGV[2]))
        local cap, moved, i, j, last = tonumber(ARGV[3]), 0, 4, 2, #ARGV
        local function known(key, t)
          return redis.call('HEXISTS', key, t .. ':allowed') == 1 or redis.call('HEXISTS', key, t .. ':denied') == 1
            or redis.call('HEXISTS', key, t .. ':limited') == 1
        end
        while i <= last do
          local kind, key, value, n = ARGV[i], KEYS[j], ARGV[i + 1], tonumber(ARGV[i + 2])
          local first = i + 3
          if kind == 'h' then
            local targets, created = nil, false
            for k = first, first + n - 1, 4 do
              local target, allowed, denied, limited = ARGV[k], tonumber(ARGV[k + 1]), tonumber(ARGV[k + 2]), tonumber(ARGV[k + 3])
              if target ~= 'other' and not known(key, target) then
                if targets == nil then
                  local seen = {}
                  targets = 0
                  for _, field in ipairs(redis.call('HKEYS', key)) do
                    local t = string.match(field, '^(.*):[^:]*$')
                    if t and t ~= 'other' and not seen[t] then seen[t] = true; targets = targets + 1 end
                  end
                end
                if targets < cap then targets = targets + 1 else target = 'other'; moved = moved + allowed + denied + limited end
              end
              if allowed ~= 0 and redis.call('HINCRBY', key, target .. ':allowed', allowed) == allowed then created = true end
              if denied ~= 0 and redis.call('HINCRBY', key, target .. ':denied', denied) == denied then created = true end
              if limited ~= 0 and redis.call('HINCRBY', key, target .. ':limited', limited) == limited then created = true end
            end
            -- The expiry is fixed per day: set when the call created a field (a new hash always has one), not every flush.
            if created then redis.call('EXPIREAT', key, value) end
          elseif kind == 'l' then
            local current = redis.call('HGET', key, 'lastUsedAt')
            if current then
              if tonumber(value) > (tonumber(current) or 0) then redis.call('HSET', key, 'lastUsedAt', value) end
            elseif redis.call('EXISTS', key) == 1 then
              redis.call('HSET', key, 'lastUsedAt', value)
            end
          else
            redis.call('SADD', key, unpack(ARGV, first, first + n - 1))
            redis.call('EXPIREAT', key, value)
          end
          i, j = first + n, j + 1
        end
        return moved
        """;

    /// <summary>The call applying <paramref name="writes"/> (all in the marker's slot) under <paramref name="sequence"/>.</summary>
    public static UsageCall Call(RedisKey marker, long sequence, int maxTargetsPerKey, List<UsageWrite> writes)
    {
        var keys = new RedisKey[writes.Count + 1];
        keys[0] = marker;
        var args = new List<RedisValue>(3 + writes.Sum(w => 3 + w.Items.Length))
        {
            sequence,
            (long)MarkerLifetime.TotalSeconds,
            maxTargetsPerKey,
        };
        long requests = 0;
        for (var j = 0; j < writes.Count; j++)
        {
            var write = writes[j];
            keys[j + 1] = write.Key;
            args.Add(write.Kind);
            args.Add(write.Value);
            args.Add(write.Items.Length);
            args.AddRange(write.Items);
            requests += write.Requests;
        }

        return new UsageCall(keys, [.. args], requests, writes.Sum(w => w.Units));
    }
}
