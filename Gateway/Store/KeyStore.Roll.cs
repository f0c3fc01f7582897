using System.Globalization;
using Gateway.Keys;
using StackExchange.Redis;

namespace Gateway.Store;

/// <summary>What a roll did (contract §8).</summary>
public enum KeyRollStatus
{
    /// <summary>The old key is marked replaced and its expiry moved; the new key is stored.</summary>
    Rolled,
    NotFound,
    PreconditionFailed,

    /// <summary>The key is disabled or expired: <c>key_not_active</c>.</summary>
    NotActive,

    /// <summary>The key was rolled already: <c>key_already_rolled</c>.</summary>
    AlreadyRolled,
}

/// <summary>A roll's outcome: the old key as it was and as stored, and the new key as stored.</summary>
public sealed record KeyRoll(KeyRollStatus Status, ApiKey? OldBefore, ApiKey? OldAfter, ApiKey? New);

/// <summary>
/// Rolling a key touches two records, the old key's and the new key's, which on a Redis Cluster live in different
/// slots: no one script or MULTI can cover both. So the roll is two steps, and the first decides:
/// <list type="number">
/// <item>The claim: one script on the old record checks, as stored at that instant, that the record still has the
/// version read (the CAS every admin write uses), is enabled, unexpired and not rolled, and only then sets
/// <c>replacedBy</c> and moves <c>expiresAt</c>. Two concurrent rolls cannot both pass it: the second finds the version
/// moved, reads again, and sees <c>replacedBy</c> (409 <c>key_already_rolled</c>).</item>
/// <item>The new record, created like any key (index first, record last). If that fails, the claim is undone (only
/// while <c>replacedBy</c> still names this roll's new id) and the caller gets the failure.</item>
/// </list>
/// If the process dies between the steps, the old key is left claimed by an id that has no record: it still expires at
/// the grace's end, never later than the operator asked (fails closed), and cannot be rolled again; the operator creates a
/// new key instead. A view may name a <c>replacedBy</c> whose record is a moment from existing; never the reverse.
/// </summary>
public sealed partial class KeyStore
{
    private const long AlreadyRolled = -3;
    private const long NotActive = -4;

    // KEYS[1] the old record; ARGV[1] the version read ('0' for a record from before versions), ARGV[2] now (Unix ms),
    // ARGV[3] the new key's id, ARGV[4] the old key's new expiresAt (Unix ms). The state checks repeat what the caller
    // checked on its read, on the record as it is now, so the decision and the write are one atomic step.
    private const string RollClaimScript = """
        if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
        local by = redis.call('HGET', KEYS[1], 'replacedBy')
        if by and by ~= '' then return -3 end
        if redis.call('HGET', KEYS[1], 'enabled') ~= '1' then return -4 end
        local expires = tonumber(redis.call('HGET', KEYS[1], 'expiresAt') or '0')
        if expires and expires > 0 and expires <= tonumber(ARGV[2]) then return -4 end
        local v = redis.call('HGET', KEYS[1], 'version') or '0'
        if v ~= ARGV[1] then return -2 end
        local next = tonumber(v) + 1
        redis.call('HSET', KEYS[1], 'replacedBy', ARGV[3], 'expiresAt', ARGV[4], 'version', next)
        return next
        """;

    // KEYS[1] the old record; ARGV[1] the new id the claim set, ARGV[2] the expiresAt it set, ARGV[3] the one it replaced.
    // Undoes only this roll's claim, and puts back the expiry only if no write changed it since.
    private const string RollUndoScript = """
        if redis.call('HGET', KEYS[1], 'replacedBy') ~= ARGV[1] then return 0 end
        redis.call('HDEL', KEYS[1], 'replacedBy')
        if redis.call('HGET', KEYS[1], 'expiresAt') == ARGV[2] then redis.call('HSET', KEYS[1], 'expiresAt', ARGV[3]) end
        redis.call('HINCRBY', KEYS[1], 'version', 1)
        return 1
        """;

    /// <summary>
    /// Rolls key <paramref name="id"/> into <paramref name="successorOf"/>(the old key as stored), stored under
    /// <paramref name="newDigest"/>: the old key's <c>expiresAt</c> becomes <c>now + grace</c> unless already sooner.
    /// </summary>
    public async Task<KeyRoll> RollAsync(
        string id, DateTimeOffset now, TimeSpan grace, KeyDigest newDigest, Func<ApiKey, ApiKey> successorOf, Predicate<long>? precondition = null)
    {
        var refusal = KeyRollStatus.Rolled;
        ApiKey? successor = null;
        var claim = await WriteAsync(id, "roll", async (digest, recordKey) =>
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

            refusal = current.ReplacedBy is not null ? KeyRollStatus.AlreadyRolled
                : KeyState.Check(current, now) != Verdict.Allowed ? KeyRollStatus.NotActive
                : KeyRollStatus.Rolled;
            if (refusal != KeyRollStatus.Rolled)
            {
                return new KeyWrite(KeyWriteStatus.Declined, current, null);
            }

            successor = successorOf(current) with { Replaces = current.Id, ReplacedBy = null, Version = FirstVersion };
            var deadline = now + grace;
            // Stored in whole milliseconds, like every time in a record: kept so, the state returned is the state stored.
            var expiresAt = DateTimeOffset.FromUnixTimeMilliseconds((current.ExpiresAt is { } sooner && sooner < deadline ? sooner : deadline).ToUnixTimeMilliseconds());
            var result = (long)await AdminDb.ScriptEvaluateAsync(
                RollClaimScript,
                [recordKey],
                [current.Version, now.ToUnixTimeMilliseconds(), successor.Id, expiresAt.ToUnixTimeMilliseconds()]).ConfigureAwait(false);
            switch (result)
            {
                case Missing:
                    return new KeyWrite(KeyWriteStatus.NotFound, null, null);
                case Conflict:
                    return null;
                case AlreadyRolled or NotActive:
                    refusal = result == AlreadyRolled ? KeyRollStatus.AlreadyRolled : KeyRollStatus.NotActive;
                    return new KeyWrite(KeyWriteStatus.Declined, current, null);
            }

            // Every instance drops its cached copy and reads the moved expiresAt (its upgraded connections re-arm too).
            await PublishInvalidationAsync(digest).ConfigureAwait(false);
            return new KeyWrite(KeyWriteStatus.Written, current, current with { ExpiresAt = expiresAt, ReplacedBy = successor.Id, Version = result });
        }).ConfigureAwait(false);

        switch (claim.Status)
        {
            case KeyWriteStatus.NotFound:
                return new KeyRoll(KeyRollStatus.NotFound, null, null, null);
            case KeyWriteStatus.PreconditionFailed:
                return new KeyRoll(KeyRollStatus.PreconditionFailed, claim.Before, null, null);
            case KeyWriteStatus.Declined:
                return new KeyRoll(refusal, claim.Before, null, null);
        }

        var created = false;
        try
        {
            created = await CreateAsync(successor!, newDigest, announce: false).ConfigureAwait(false);
        }
        finally
        {
            if (!created)
            {
                await UndoClaimAsync(claim.Before!, claim.After!).ConfigureAwait(false);
            }
        }

        // 178 random bits do not collide; reaching this means the store is not what it seems (the claim was undone).
        return created ? new KeyRoll(KeyRollStatus.Rolled, claim.Before, claim.After, successor)
            : throw new InvalidOperationException("A freshly generated key already exists in the store.");
    }

    private async Task UndoClaimAsync(ApiKey before, ApiKey claimed)
    {
        try
        {
            var digest = await DigestOfAsync(before.Id).ConfigureAwait(false);
            if (digest is null)
            {
                return;
            }

            await AdminDb.ScriptEvaluateAsync(RollUndoScript, [RecordKey(digest.Value)], [claimed.ReplacedBy, Millis(claimed.ExpiresAt), Millis(before.ExpiresAt)])
                .ConfigureAwait(false);
            await PublishInvalidationAsync(digest.Value).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // The store failed the create too, most likely; the claim stays (fails closed, see the class comment) and the
            // caller reports the create's failure, not this one.
        }
    }

    private static string Millis(DateTimeOffset? time) => (time?.ToUnixTimeMilliseconds() ?? 0).ToString(CultureInfo.InvariantCulture);
}
