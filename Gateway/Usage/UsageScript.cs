using StackExchange.Redis;

namespace Gateway.Usage;

/// <summary>
/// The one Lua script of a flush. A call applies many writes, all in one hash slot, atomically and at most once: it
/// runs only if its marker holds a smaller sequence than the call's (a retry after a lost reply, or a late duplicate,
/// finds its own sequence there and changes nothing), then records the sequence.
/// </summary>
internal static class UsageScript
{
    /// <summary>How long a marker is kept after its last write: a batch retried after longer could count twice.</summary>
    public static readonly TimeSpan MarkerLifetime = TimeSpan.FromDays(1);

    // KEYS[1] marker, KEYS[2] the slot's lastUsedAt sorted set; ARGV[1] sequence, ARGV[2] marker TTL s, ARGV[3]
    // Usage:MaxTargetsPerKey, ARGV[4] n, then n unix ms/key id pairs; then for write j (usage hash KEYS[j + 2]): its
    // EXPIREAT, item count, items. Returns {-1} for a call already applied, else {requests moved to 'other', then the
    // write numbers (1-based) of the usage hashes in which it created a field}.
    // lastUsedAt: one ZADD GT of the call's pairs, which moves each key's time forward and never back, across
    // instances, with nothing read first; a key id met twice (two days around midnight) keeps the later. The records
    // are never touched, so a deleted key's record cannot come back through usage.
    // A hash write's items are field/increment pairs, field names whole ('endpoint:x:allowed') and zero counts left out,
    // so the usual write of a known target is one HINCRBY and nothing is built in Lua. A field the HINCRBY created
    // (it answered the increment itself) is the only one that can be a new target, and only then is the per-key cap
    // checked, across instances, on the hash itself: a hash whose one field is the new one (HLEN) has one target; else
    // a target whose other outcomes are absent too is new, and the hash's distinct targets are counted (HKEYS, about
    // three fields per target) at the first such in a write; past the cap the field is taken back (HDEL) and its
    // increment goes to 'other'. A call that created a field sets the hash's EXPIREAT (a new hash always has one, and
    // the expiry is fixed per day, so other writes need not repeat it).
    public const string Text = """
        if tonumber(ARGV[1]) <= tonumber(redis.call('GET', KEYS[1]) or '-1') then return {-1} end
        redis.call('SET', KEYS[1], ARGV[1], 'EX', tonumber(ARGV[2]))
        local cap, moved, pairs = tonumber(ARGV[3]), 0, tonumber(ARGV[4])
        if pairs > 0 then redis.call('ZADD', KEYS[2], 'GT', unpack(ARGV, 5, 4 + 2 * pairs)) end
        local i, j, last, created = 5 + 2 * pairs, 3, #ARGV, {}
        local outcomes = {'allowed', 'denied', 'limited'}
        while i <= last do
          local key, expireat, n = KEYS[j], ARGV[i], tonumber(ARGV[i + 1])
          local first = i + 2
          local targets, made = nil, false
          for k = first, first + n - 1, 2 do
            local field, delta = ARGV[k], tonumber(ARGV[k + 1])
            if redis.call('HINCRBY', key, field, delta) == delta then
              made = true
              local target, outcome = string.match(field, '^(.*):([^:]*)$')
              local new = target ~= 'other'
              if new and targets == nil and redis.call('HLEN', key) == 1 then
                -- The hash this write just created (a key's first count of the day): one field, one target.
                targets, new = 1, false
              end
              for _, o in ipairs(outcomes) do
                if new and o ~= outcome and redis.call('HEXISTS', key, target .. ':' .. o) == 1 then new = false end
              end
              if new then
                if targets == nil then
                  local seen = {}
                  targets = 0
                  for _, f in ipairs(redis.call('HKEYS', key)) do
                    local t = string.match(f, '^(.*):[^:]*$')
                    if t and t ~= 'other' and not seen[t] then seen[t] = true; targets = targets + 1 end
                  end
                else
                  targets = targets + 1
                end
                if targets > cap then
                  redis.call('HDEL', key, field)
                  redis.call('HINCRBY', key, 'other:' .. outcome, delta)
                  targets, moved = targets - 1, moved + delta
                end
              end
            end
          end
          if made then
            redis.call('EXPIREAT', key, expireat)
            created[#created + 1] = j - 2
          end
          i, j = first + n, j + 1
        end
        return {moved, unpack(created)}
        """;

    /// <summary>
    /// Adds keys to a day's set (KEYS[1]: ARGV[1] the EXPIREAT, then the key ids) with its expiry, at once. Idempotent by
    /// itself (a set), so it needs no marker: a retry or a duplicate adds nothing.
    /// </summary>
    public const string Index = """
        redis.call('SADD', KEYS[1], unpack(ARGV, 2))
        redis.call('EXPIREAT', KEYS[1], ARGV[1])
        return 1
        """;

    /// <summary>The call applying <paramref name="writes"/> (all in the marker's slot, as is <paramref name="lastUsed"/>) under <paramref name="sequence"/>.</summary>
    public static UsageCall Call(RedisKey marker, RedisKey lastUsed, long sequence, int maxTargetsPerKey, List<UsageWrite> writes)
    {
        var keys = new RedisKey[writes.Count + 2];
        keys[0] = marker;
        keys[1] = lastUsed;
        var pairs = 0;
        var length = 4;
        foreach (var write in writes)
        {
            pairs += write.KeyId is null ? 0 : 1;
            length += 2 + write.Items.Length;
        }

        var args = new RedisValue[length + (2 * pairs)];
        args[0] = sequence;
        args[1] = (long)MarkerLifetime.TotalSeconds;
        args[2] = maxTargetsPerKey;
        args[3] = pairs;
        var at = 4;
        foreach (var write in writes)
        {
            if (write.KeyId is { } id)
            {
                args[at++] = write.LastUsedUnixMs;
                args[at++] = id;
            }
        }

        long requests = 0;
        var units = 0;
        var keyDays = new KeyDayTargets?[writes.Count];
        for (var j = 0; j < writes.Count; j++)
        {
            var write = writes[j];
            keys[j + 2] = write.Key;
            args[at++] = write.ExpireAt;
            args[at++] = write.Items.Length;
            write.Items.CopyTo(args, at);
            at += write.Items.Length;
            requests += write.Requests;
            units += write.Units;
            keyDays[j] = write.KeyDay;
        }

        return new UsageCall(keys, args, requests, units, keyDays);
    }
}
