using System.Diagnostics.CodeAnalysis;
using Gateway.Keys;
using Gateway.Observability;
using StackExchange.Redis;

namespace Gateway.Store;

/// <summary>
/// Key records in Redis. Every command touches one key, so the layout works unchanged on Redis Cluster:
/// <list type="bullet">
/// <item><c>{prefix}key:{sha256 hex}</c> hash: the record, found from a presented key in one round trip.</item>
/// <item><c>{prefix}keyid:{id}</c> string: the record's hash, for the admin API.</item>
/// <item><c>{prefix}keys</c> sorted set: ids scored by creation time, the list before pages (still written, so an instance
/// of the previous version lists every key during a rolling upgrade, and read once by <see cref="KeyIndexBuilder"/>).</item>
/// <item><c>{prefix}keyorder</c> and <c>{prefix}keysearch</c>: the paged list's indexes (KeyStore.List.cs).</item>
/// </list>
/// Every write goes to the store first and then publishes the record's hash on <c>{prefix}invalidate</c>,
/// so every instance drops its cached copy (including a negative entry that would hide a new key).
/// The proxy's lookup (<see cref="FindAsync"/>) uses the proxy's connection; everything the admin API does uses the
/// admin connection (<see cref="StoreConnection.AdminMultiplexer"/>), so no admin call queues ahead of a lookup.
/// </summary>
// Not IDisposable: its one disposable field, the list gate, is a SemaphoreSlim whose wait handle is never read, so it
// holds nothing unmanaged; the store lives as long as the process.
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "See the comment above.")]
public sealed partial class KeyStore
{
    /// <summary>The version a new record starts at.</summary>
    public const long FirstVersion = 1;

    // List pages read at once in this process; the rest wait their turn. Before pages, a list of 20,000 keys was seconds of
    // decoding, and ten at once took both cores from the proxy (with the embedded Garnet, which shares the process, lookups
    // timed out); a page is at most 1,000 records, but a burst of them still should not take both cores.
    private readonly SemaphoreSlim _listGate = new(2, 2);

    private static readonly RedisValue[] s_versionAndId = [KeyRecordCodec.Version, KeyRecordCodec.Id];
    private readonly StoreConnection _connection;
    private readonly ILogger<KeyStore> _logger;
    private long _publishFailures;
    private readonly string _prefix;

    public KeyStore(StoreConnection connection, GatewayMetrics? metrics = null, ILogger<KeyStore>? logger = null)
    {
        _connection = connection;
        _prefix = connection.KeyPrefix;
        _logger = logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger<KeyStore>.Instance;
        metrics?.ObserveAdminWriteConflicts(() => WriteConflicts);
        metrics?.ObserveInvalidationPublishFailures(() => Interlocked.Read(ref _publishFailures));
    }

    public RedisChannel InvalidationChannel => RedisChannel.Literal(_prefix + "invalidate");

    // The proxy's connection: key lookups only.
    private IDatabase ProxyDb => _connection.Database;

    private IDatabase AdminDb => _connection.AdminDatabase;

    public RedisKey RecordKey(KeyDigest digest) => _prefix + "key:" + digest.ToHex();

    private RedisKey IdKey(string id) => _prefix + "keyid:" + id;

    /// <summary>
    /// The sorted set holding <c>lastUsedAt</c> (member: key id, score: unix ms) of the keys whose usage hashes
    /// (<c>{prefix}usage:{id}:day</c>) are in Redis Cluster hash slot <paramref name="slot"/>; -1 (one server, no slots)
    /// has one set for every key. One per slot lets a usage flush move the <c>lastUsedAt</c> of all of a script call's
    /// keys with one ZADD GT (forward only, nothing read), where a field on each record took an HGET and an HSET per key:
    /// half of a flush's Redis time (issue 11). A record's own <c>lastUsedAt</c> field (written before 1 Dec) still
    /// counts: a view shows the later of the two.
    /// </summary>
    public RedisKey LastUsedKey(int slot) => $"{_prefix}lastused:{{{SlotTags.Of(slot, _connection.Multiplexer.HashSlot)}}}";

    /// <summary>The <see cref="LastUsedKey"/> of key <paramref name="id"/>: that of its usage hashes' slot.</summary>
    public RedisKey LastUsedKeyOf(string id) => LastUsedKey(_connection.Multiplexer.HashSlot("{" + id + "}"));

    /// <summary><paramref name="key"/> with the later of its record's and its slot set's <c>lastUsedAt</c>.</summary>
    internal static ApiKey? WithLastUsed(ApiKey? key, double? unixMs) =>
        key is not null && unixMs is { } ms && (long)ms > (key.LastUsedAt?.ToUnixTimeMilliseconds() ?? 0)
            ? key with { LastUsedAt = DateTimeOffset.FromUnixTimeMilliseconds((long)ms) }
            : key;

    /// <summary>A record read on the admin connection with its <c>lastUsedAt</c>: both reads sent at once, one round trip.</summary>
    private async Task<ApiKey?> ReadForAdminAsync(RedisKey recordKey, string? id)
    {
        var record = AdminDb.HashGetAllAsync(recordKey);
        var lastUsed = id is null ? null : AdminDb.SortedSetScoreAsync(LastUsedKeyOf(id), id);
        var key = KeyRecordCodec.Decode(await record.ConfigureAwait(false));
        if (key is null)
        {
            return null;
        }

        // A read by hash (revocation by plaintext) learns the id from the record.
        lastUsed ??= AdminDb.SortedSetScoreAsync(LastUsedKeyOf(key.Id), key.Id);
        return WithLastUsed(key, await lastUsed.ConfigureAwait(false));
    }

    private RedisKey ListKey => _prefix + "keys";

    /// <summary>The hot path's only store read. Throws on infrastructure failure; a missing key is <c>null</c>.</summary>
    public async Task<ApiKey?> FindAsync(KeyDigest digest)
    {
        var entries = await ProxyDb.HashGetAllAsync(RecordKey(digest)).ConfigureAwait(false);
        return KeyRecordCodec.Decode(entries);
    }

    /// <summary>
    /// Whether the record still holds <paramref name="cached"/>'s settings version and id: one HMGET of two fields on the
    /// proxy's connection, nothing decoded (the key cache's refresh-ahead). Every admin write moves the version (the
    /// update, delete and roll scripts, and a roll's undo); the id tells apart a record deleted and created again under
    /// the same hash (a legacy key imported again), which starts at version 1 anew. Throws on infrastructure failure.
    /// </summary>
    public async Task<bool> IsCurrentAsync(KeyDigest digest, ApiKey cached)
    {
        var values = await ProxyDb.HashGetAsync(RecordKey(digest), s_versionAndId).ConfigureAwait(false);
        return Holds(values, cached);
    }

    /// <summary>
    /// <see cref="IsCurrentAsync"/> for many records at once (the refresh-ahead sweep's batches): one HMGET per record,
    /// all written to the proxy's connection together by a StackExchange.Redis batch, so the checks cost one
    /// write and their replies arrive together instead of a round trip each. Not a transaction: each HMGET is a command of
    /// its own, so on Redis Cluster the multiplexer sends each to the node that holds its record's slot (the batch is split
    /// by connection), and records in different slots need no hash tag. Answers in the order of
    /// <paramref name="checks"/>; throws on infrastructure failure, when any of the reads fails.
    /// </summary>
    public async Task<bool[]> AreCurrentAsync(IReadOnlyList<(KeyDigest Digest, ApiKey Cached)> checks)
    {
        ArgumentNullException.ThrowIfNull(checks);
        var batch = ProxyDb.CreateBatch();
        var reads = new Task<RedisValue[]>[checks.Count];
        for (var i = 0; i < reads.Length; i++)
        {
            reads[i] = batch.HashGetAsync(RecordKey(checks[i].Digest), s_versionAndId);
        }

        // Queued reads are sent only now.
        var all = Task.WhenAll(reads);
        try
        {
            batch.Execute();
        }
        catch
        {
            // No connection for a read: the reads are failed, and this throws; their faults are observed, not reported
            // as unobserved when collected.
            _ = all.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            throw;
        }

        await all.ConfigureAwait(false);
        var current = new bool[reads.Length];
        for (var i = 0; i < reads.Length; i++)
        {
            current[i] = Holds(reads[i].Result, checks[i].Cached);
        }

        return current;
    }

    // A record without a version (from before versions) is never taken as current: the full read decides.
    private static bool Holds(RedisValue[] values, ApiKey cached) =>
        values.Length == 2 && values[0].TryParse(out long version) && version == cached.Version && values[1] == cached.Id;

    /// <summary>The key with this hash, read on the admin connection (revocation by plaintext); null when none.</summary>
    public Task<ApiKey?> FindForAdminAsync(KeyDigest digest) => ReadForAdminAsync(RecordKey(digest), id: null);

    public async Task<ApiKey?> GetAsync(string id)
    {
        if (await DigestOfAsync(id).ConfigureAwait(false) is not { } digest)
        {
            return null;
        }

        var key = await ReadForAdminAsync(RecordKey(digest), id).ConfigureAwait(false);
        return key?.Id == id ? key : null;
    }

    /// <summary>
    /// Stores a new key at <see cref="FirstVersion"/>; <c>false</c> when a key with the same hash already exists.
    /// <paramref name="announce"/> publishes the create on the invalidation channel, for a token some instance may hold in
    /// its negative cache: a legacy import's, which clients presented before. A generated key's token is new to every
    /// instance (178 random bits, shown only in the create's answer), so nothing anywhere remembers it: announcing it only
    /// made each instance that used the key in the message's flight drop it and read it once more.
    /// </summary>
    public async Task<bool> CreateAsync(ApiKey key, KeyDigest digest, bool announce)
    {
        var db = AdminDb;
        var recordKey = RecordKey(digest);
        if (await db.KeyExistsAsync(recordKey).ConfigureAwait(false))
        {
            return false;
        }

        // Index first, record last: an interrupted create leaves an id without a record, which lists as
        // nothing and authorizes nothing, never a working key the admin API cannot see.
        await IndexAsync(db, key, FirstVersion).ConfigureAwait(false);
        await db.StringSetAsync(IdKey(key.Id), digest.ToHex()).ConfigureAwait(false);
        await db.SortedSetAddAsync(ListKey, key.Id, key.CreatedAt.ToUnixTimeMilliseconds()).ConfigureAwait(false);

        var tran = db.CreateTransaction();
        tran.AddCondition(Condition.KeyNotExists(recordKey));
        _ = tran.HashSetAsync(recordKey, KeyRecordCodec.Encode(key with { Version = FirstVersion }));
        var created = await tran.ExecuteAsync().ConfigureAwait(false);
        if (!created)
        {
            await db.KeyDeleteAsync(IdKey(key.Id)).ConfigureAwait(false);
            await db.SortedSetRemoveAsync(ListKey, key.Id).ConfigureAwait(false);
            await UnindexAsync(key.Id, key).ConfigureAwait(false);
            return false;
        }

        if (announce)
        {
            await PublishInvalidationAsync(digest).ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>
    /// Whether both connections reach the store (readiness): the proxy's and the admin API's, each with every primary it
    /// knows connected, and each answering a PING. Each multiplexer connects on its own, and on a cluster to each node on
    /// its own, so one PING answered did not mean a key lookup or an admin write would be (CI once got 503 on an admin
    /// create, and once on a key lookup on the cluster, just after <c>/readyz</c> said 200).
    /// </summary>
    public Task PingAsync() => _connection.PrimariesConnected()
        ? Task.WhenAll(ProxyDb.PingAsync(), AdminDb.PingAsync())
        : Task.FromException(new InvalidOperationException("Not every primary of the store is connected."));

    private async Task<KeyDigest?> DigestOfAsync(string id)
    {
        var hex = await AdminDb.StringGetAsync(IdKey(id)).ConfigureAwait(false);
        return !hex.IsNullOrEmpty && KeyDigest.TryParseHex((string)hex!, out var digest) ? digest : null;
    }

    /// <summary>
    /// Announces a write that is already stored. A failure here (a Redis ACL that refuses the channel, or the connection
    /// lost between the write and this) does not fail the write: it happened, so the caller gets its real answer and the
    /// audit records it. Every instance still enforces it within <c>Cache:L1Ttl</c>, the contract's bound for lost
    /// messages (the refresh-ahead checks see the moved version); the failure is logged and counted
    /// (<c>gateway_store_invalidation_publish_failures_total</c>). Until 1 Dec a refused publish answered 503 for a change
    /// that was applied, and left it out of the audit (SECURITY.md 24).
    /// </summary>
    private async Task PublishInvalidationAsync(KeyDigest digest)
    {
        try
        {
            await _connection.AdminMultiplexer.GetSubscriber().PublishAsync(InvalidationChannel, digest.ToHex()).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            Interlocked.Increment(ref _publishFailures);
            Log.InvalidationNotPublished(_logger, ex.GetType().Name, ex.Message);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 120, Level = LogLevel.Warning, Message = "A key change is stored but its invalidation could not be published ({Error}: {Message}); every instance enforces it within Cache:L1Ttl instead of at once. Allow the store user to publish on the invalidation channel.")]
        public static partial void InvalidationNotPublished(ILogger logger, string error, string message);
    }
}
