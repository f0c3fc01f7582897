using Gateway.Keys;
using StackExchange.Redis;

namespace Gateway.Store;

/// <summary>
/// Key records in Redis. Every command touches one key, so the layout works unchanged on Redis Cluster:
/// <list type="bullet">
/// <item><c>{prefix}key:{sha256 hex}</c> hash: the record, found from a presented key in one round trip.</item>
/// <item><c>{prefix}keyid:{id}</c> string: the record's hash, for the admin API.</item>
/// <item><c>{prefix}keys</c> sorted set: ids scored by creation time, for listing.</item>
/// </list>
/// Every write goes to the store first and then publishes the record's hash on <c>{prefix}invalidate</c>,
/// so every instance drops its cached copy (including a negative entry that would hide a new key).
/// </summary>
public sealed class KeyStore(StoreConnection connection)
{
    // Conflicts come from lastUsedAt writes (one a flush interval per instance) and concurrent admin writes.
    private const int MaxUpdateAttempts = 10;
    private readonly string _prefix = connection.KeyPrefix;
    private long _digestLookups;

    public RedisChannel InvalidationChannel => RedisChannel.Literal(_prefix + "invalidate");

    /// <summary>Store reads made for presented keys; tests and metrics read it.</summary>
    public long DigestLookups => Interlocked.Read(ref _digestLookups);

    private IDatabase Db => connection.Database;

    public RedisKey RecordKey(KeyDigest digest) => _prefix + "key:" + digest.ToHex();

    private RedisKey IdKey(string id) => _prefix + "keyid:" + id;

    private RedisKey ListKey => _prefix + "keys";

    /// <summary>The hot path's only store read. Throws on infrastructure failure; a missing key is <c>null</c>.</summary>
    public async Task<ApiKey?> FindAsync(KeyDigest digest)
    {
        Interlocked.Increment(ref _digestLookups);
        var entries = await Db.HashGetAllAsync(RecordKey(digest)).ConfigureAwait(false);
        return KeyRecordCodec.Decode(entries);
    }

    public async Task<ApiKey?> GetAsync(string id)
    {
        var hex = await Db.StringGetAsync(IdKey(id)).ConfigureAwait(false);
        if (hex.IsNullOrEmpty || !KeyDigest.TryParseHex((string)hex!, out var digest))
        {
            return null;
        }

        var key = KeyRecordCodec.Decode(await Db.HashGetAllAsync(RecordKey(digest)).ConfigureAwait(false));
        return key?.Id == id ? key : null;
    }

    /// <summary>All keys, newest first.</summary>
    public async Task<IReadOnlyList<ApiKey>> ListAsync()
    {
        var ids = await Db.SortedSetRangeByRankAsync(ListKey, order: Order.Descending).ConfigureAwait(false);
        var lookups = new Task<ApiKey?>[ids.Length];
        for (var i = 0; i < ids.Length; i++)
        {
            // Concurrent calls pipeline on the one connection.
            lookups[i] = GetAsync((string)ids[i]!);
        }

        var keys = await Task.WhenAll(lookups).ConfigureAwait(false);
        return keys.OfType<ApiKey>().ToList();
    }

    /// <summary>Stores a new key; <c>false</c> when a key with the same hash already exists.</summary>
    public async Task<bool> CreateAsync(ApiKey key, KeyDigest digest)
    {
        var recordKey = RecordKey(digest);
        if (await Db.KeyExistsAsync(recordKey).ConfigureAwait(false))
        {
            return false;
        }

        // Index first, record last: an interrupted create leaves an id without a record, which lists as
        // nothing and authorizes nothing, never a working key the admin API cannot see.
        await Db.StringSetAsync(IdKey(key.Id), digest.ToHex()).ConfigureAwait(false);
        await Db.SortedSetAddAsync(ListKey, key.Id, key.CreatedAt.ToUnixTimeMilliseconds()).ConfigureAwait(false);

        var tran = Db.CreateTransaction();
        tran.AddCondition(Condition.KeyNotExists(recordKey));
        _ = tran.HashSetAsync(recordKey, KeyRecordCodec.Encode(key));
        var created = await tran.ExecuteAsync().ConfigureAwait(false);
        if (!created)
        {
            await Db.KeyDeleteAsync(IdKey(key.Id)).ConfigureAwait(false);
            await Db.SortedSetRemoveAsync(ListKey, key.Id).ConfigureAwait(false);
            return false;
        }

        await PublishInvalidationAsync(digest).ConfigureAwait(false);
        return true;
    }

    /// <summary>Applies <paramref name="change"/> to the stored key; <c>null</c> when the id is unknown.</summary>
    public async Task<ApiKey?> UpdateAsync(string id, Func<ApiKey, ApiKey> change)
    {
        var hex = await Db.StringGetAsync(IdKey(id)).ConfigureAwait(false);
        if (hex.IsNullOrEmpty || !KeyDigest.TryParseHex((string)hex!, out var digest))
        {
            return null;
        }

        var recordKey = RecordKey(digest);
        // The condition WATCHes the record, and any write to it before EXEC aborts the transaction: another admin
        // write, but also every instance's usage flusher setting lastUsedAt on a key in use. So a conflict is read
        // again and retried; answering "not found" instead would make a disable of a busy key fail and leave it working.
        for (var attempt = 1; attempt <= MaxUpdateAttempts; attempt++)
        {
            var current = KeyRecordCodec.Decode(await Db.HashGetAllAsync(recordKey).ConfigureAwait(false));
            if (current is null || current.Id != id)
            {
                return null;
            }

            var updated = change(current);
            var tran = Db.CreateTransaction();
            // A concurrent delete wins: never resurrect a deleted record with a partial write.
            tran.AddCondition(Condition.KeyExists(recordKey));
            _ = tran.HashSetAsync(recordKey, KeyRecordCodec.EncodeMutable(updated));
            if (await tran.ExecuteAsync().ConfigureAwait(false))
            {
                await PublishInvalidationAsync(digest).ConfigureAwait(false);
                return updated;
            }
        }

        // Fails closed: reported as a store failure (503), so the caller knows the change was not made.
        throw new RedisException($"The key record changed during each of {MaxUpdateAttempts} update attempts.");
    }

    public async Task<bool> DeleteAsync(string id)
    {
        var hex = await Db.StringGetAsync(IdKey(id)).ConfigureAwait(false);
        if (hex.IsNullOrEmpty || !KeyDigest.TryParseHex((string)hex!, out var digest))
        {
            return false;
        }

        // Record first: the key stops working before anything else changes.
        var deleted = await Db.KeyDeleteAsync(RecordKey(digest)).ConfigureAwait(false);
        await Db.KeyDeleteAsync(IdKey(id)).ConfigureAwait(false);
        await Db.SortedSetRemoveAsync(ListKey, id).ConfigureAwait(false);
        await PublishInvalidationAsync(digest).ConfigureAwait(false);
        return deleted;
    }

    public async Task<bool> PingAsync()
    {
        await Db.PingAsync().ConfigureAwait(false);
        return true;
    }

    private Task PublishInvalidationAsync(KeyDigest digest) =>
        connection.Multiplexer.GetSubscriber().PublishAsync(InvalidationChannel, digest.ToHex());
}
