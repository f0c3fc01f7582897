using Gateway.Keys;
using StackExchange.Redis;

namespace Gateway.Store;

/// <summary>What a conditional admin write did.</summary>
public enum KeyWriteStatus
{
    /// <summary>Stored: <see cref="KeyWrite.Before"/> is the state replaced, <see cref="KeyWrite.After"/> the state stored (null for a delete).</summary>
    Written,

    /// <summary>The change changed nothing: nothing was written and the version did not move.</summary>
    Unchanged,

    NotFound,

    /// <summary>The caller's precondition (If-Match) did not hold for the stored version.</summary>
    PreconditionFailed,

    /// <summary>The change function refused the stored state (returned null); nothing was written.</summary>
    Declined,
}

/// <summary>The outcome of an admin write, with the states it saw: never a state it did not read or store.</summary>
public sealed record KeyWrite(KeyWriteStatus Status, ApiKey? Before, ApiKey? After);

// Admin writes as compare-and-set on the record's version: a write applies to the state it read, or to nothing.
public sealed partial class KeyStore
{
    // A write that conflicts re-reads and tries again. Within this process writes to one key are queued (see _writeGates),
    // so a conflict means another instance wrote the same key in the same few milliseconds: ten tries are plenty.
    private const int MaxWriteAttempts = 10;

    private const long Missing = -1;
    private const long Conflict = -2;

    // KEYS[1] the record; ARGV[1] the version read ('0' for a record from before versions); then field/value pairs.
    // Writes the pairs and the next version only if the record still has the version read: one key, so Cluster safe.
    private const string UpdateScript = """
        local v = redis.call('HGET', KEYS[1], 'version')
        if not v then
          if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
          v = '0'
        end
        if v ~= ARGV[1] then return -2 end
        local next = tonumber(v) + 1
        for i = 2, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
        redis.call('HSET', KEYS[1], 'version', next)
        return next
        """;

    // KEYS[1] the record; ARGV[1] the version read. Deletes it only if it still has that version.
    private const string DeleteScript = """
        local v = redis.call('HGET', KEYS[1], 'version')
        if not v then
          if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
          v = '0'
        end
        if v ~= ARGV[1] then return -2 end
        redis.call('DEL', KEYS[1])
        return 1
        """;

    // Writes to one key from this process wait for one another instead of racing, and then conflicting and retrying:
    // hundreds of concurrent PATCHes of one key would otherwise exhaust the retries. Striped, so memory is fixed.
    private readonly SemaphoreSlim[] _writeGates = Enumerable.Range(0, 64).Select(_ => new SemaphoreSlim(1, 1)).ToArray();
    private long _writeConflicts;

    /// <summary>Admin writes that found the record changed since they read it, and were retried (metric and tests).</summary>
    public long WriteConflicts => Interlocked.Read(ref _writeConflicts);

    /// <summary>
    /// Applies <paramref name="change"/> to the key as stored, and stores the result only if nothing else wrote the key
    /// in between; on a conflict it reads again and re-applies. <paramref name="change"/> returns null to refuse the
    /// stored state. <paramref name="precondition"/> (If-Match) is checked against the version each attempt read.
    /// </summary>
    public Task<KeyWrite> UpdateAsync(string id, Func<ApiKey, ApiKey?> change, Predicate<long>? precondition = null) =>
        WriteAsync(id, "write", async (digest, recordKey) =>
        {
            var current = await ReadRecordAsync(recordKey, id).ConfigureAwait(false);
            if (current is null)
            {
                return new KeyWrite(KeyWriteStatus.NotFound, null, null);
            }

            if (precondition is not null && !precondition(current.Version))
            {
                return new KeyWrite(KeyWriteStatus.PreconditionFailed, current, null);
            }

            if (change(current) is not { } updated)
            {
                return new KeyWrite(KeyWriteStatus.Declined, current, null);
            }

            var fields = ChangedFields(current, updated);
            if (fields.Count == 0)
            {
                return new KeyWrite(KeyWriteStatus.Unchanged, current, current);
            }

            var result = (long)await AdminDb.ScriptEvaluateAsync(UpdateScript, [recordKey], [current.Version, .. fields]).ConfigureAwait(false);
            if (result == Missing)
            {
                // A concurrent delete wins: the record is never resurrected by a partial write.
                return new KeyWrite(KeyWriteStatus.NotFound, null, null);
            }

            if (result == Conflict)
            {
                return null;
            }

            await PublishInvalidationAsync(digest).ConfigureAwait(false);
            if (updated.Name != current.Name)
            {
                await RenameInIndexAsync(updated, result).ConfigureAwait(false);
            }

            // Identity and lastUsedAt stay as read: the change may set only the mutable fields.
            return new KeyWrite(KeyWriteStatus.Written, current, current with
            {
                Name = updated.Name,
                Enabled = updated.Enabled,
                ExpiresAt = updated.ExpiresAt,
                Scopes = updated.Scopes,
                RateLimits = updated.RateLimits,
                AllowedIps = updated.AllowedIps,
                Version = result,
            });
        });

    /// <summary>Deletes the key as stored (Before is the state deleted), if <paramref name="precondition"/> holds for it.</summary>
    public Task<KeyWrite> DeleteAsync(string id, Predicate<long>? precondition = null) =>
        WriteAsync(id, "delete", async (digest, recordKey) =>
        {
            var current = await ReadRecordAsync(recordKey, id).ConfigureAwait(false);
            if (current is not null && precondition is not null && !precondition(current.Version))
            {
                return new KeyWrite(KeyWriteStatus.PreconditionFailed, current, null);
            }

            var result = current is null
                ? Missing
                : (long)await AdminDb.ScriptEvaluateAsync(DeleteScript, [recordKey], [current.Version]).ConfigureAwait(false);
            if (result == Conflict)
            {
                return null;
            }

            // Record first (above): the key stopped working before anything else changes. An index entry left by
            // an interrupted create or delete is cleaned up too, though there was no key to delete.
            await AdminDb.KeyDeleteAsync(IdKey(id)).ConfigureAwait(false);
            // Its lastUsedAt. A flush of the key's last second may still write the field after this (the flush never
            // touches records, so nothing else of the key comes back): about 100 bytes, for an id never used again.
            await AdminDb.SortedSetRemoveAsync(LastUsedKeyOf(id), id).ConfigureAwait(false);
            await AdminDb.SortedSetRemoveAsync(ListKey, id).ConfigureAwait(false);
            await UnindexAsync(id, current).ConfigureAwait(false);
            await PublishInvalidationAsync(digest).ConfigureAwait(false);
            return result == Missing
                ? new KeyWrite(KeyWriteStatus.NotFound, null, null)
                : new KeyWrite(KeyWriteStatus.Written, current, null);
        });

    /// <summary>
    /// Runs <paramref name="attempt"/> under the key's write gate until it answers; null is a conflict (the record
    /// changed since it was read), retried after a back-off with a fresh read.
    /// </summary>
    private async Task<KeyWrite> WriteAsync(string id, string what, Func<KeyDigest, RedisKey, Task<KeyWrite?>> attempt)
    {
        if (await DigestOfAsync(id).ConfigureAwait(false) is not { } digest)
        {
            return new KeyWrite(KeyWriteStatus.NotFound, null, null);
        }

        var recordKey = RecordKey(digest);
        var gate = GateOf(id);
        await gate.WaitAsync().ConfigureAwait(false);
        try
        {
            for (var n = 1; n <= MaxWriteAttempts; n++)
            {
                if (await attempt(digest, recordKey).ConfigureAwait(false) is { } done)
                {
                    return done;
                }

                await BackOffAsync(n).ConfigureAwait(false);
            }
        }
        finally
        {
            gate.Release();
        }

        // Fails closed: reported as a store failure (503), so the caller knows the change was not made.
        throw new RedisException($"The key record changed during each of {MaxWriteAttempts} {what} attempts.");
    }

    private async Task<ApiKey?> ReadRecordAsync(RedisKey recordKey, string id)
    {
        var key = await ReadForAdminAsync(recordKey, id).ConfigureAwait(false);
        return key?.Id == id ? key : null;
    }

    // Only the fields whose stored value changes: a write never puts back a value it merely read.
    private static List<RedisValue> ChangedFields(ApiKey current, ApiKey updated)
    {
        var fields = new List<RedisValue>();
        var before = KeyRecordCodec.EncodeMutable(current);
        var after = KeyRecordCodec.EncodeMutable(updated);
        for (var i = 0; i < after.Length; i++)
        {
            if (before[i].Value != after[i].Value)
            {
                fields.Add(after[i].Name);
                fields.Add(after[i].Value);
            }
        }

        return fields;
    }

    private Task BackOffAsync(int attempt)
    {
        Interlocked.Increment(ref _writeConflicts);
        // Full jitter: two instances that collided once do not collide again in lockstep.
        var cap = Math.Min(1 << attempt, 50);
        return Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, cap + 1)));
    }

    private SemaphoreSlim GateOf(string id) =>
        _writeGates[(int)((uint)StringComparer.Ordinal.GetHashCode(id) % (uint)_writeGates.Length)];
}
