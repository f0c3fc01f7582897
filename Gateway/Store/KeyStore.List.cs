using System.Globalization;
using Gateway.Keys;
using StackExchange.Redis;

namespace Gateway.Store;

/// <summary>One page of the admin list: the keys, and where the next page starts (null when the list is done).</summary>
public sealed record KeyPage(IReadOnlyList<ApiKey> Keys, KeyListPosition? Next);

/// <summary>
/// The admin list, a page at a time, in O(page) store work (README "Admin API"). Two index keys beside the records:
/// <list type="bullet">
/// <item><c>{prefix}keyorder</c>: a sorted set whose members all score 0 and read <c>{createdAt:D15}:{id}</c>, so byte order
/// is (createdAt, id) order and a page is one <c>ZREVRANGEBYLEX</c> from the cursor, however many keys share a millisecond.</item>
/// <item><c>{prefix}keysearch</c>: a hash id to <c>{version}\n{createdAt}\n{name}\n{prefix}</c>, read with <c>HMGET</c> in
/// batches to filter by <c>q</c> without reading the records that do not match.</item>
/// </list>
/// Each is one Redis key, so on a Cluster it cannot share a slot with every record, and no write can cover both atomically.
/// The order keeps them consistent instead: a create writes the index first and the record last, a delete removes the
/// record first and the index last, so an index entry may lack a record (the list skips it) but a record never lacks its
/// entry. The search text is only a pre-filter: a match is checked again against the record, so a stale text can only
/// hide a key from one search until the rename's own write lands, never show a wrong one.
/// </summary>
public sealed partial class KeyStore
{
    /// <summary>Index entries one filtered page looks at, by default, before it answers with what it found and a cursor.</summary>
    public const int DefaultSearchBudget = 2_000;

    private const int SearchBatch = 1_000;

    // KEYS[1] the search hash; ARGV[1] id, ARGV[2] version, ARGV[3] the text, ARGV[4] '1' to add an absent entry.
    // Writes the text only over an older version, so two renames from two instances land in the records' order; a rename
    // never re-adds the entry of a key deleted meanwhile (ARGV[4] '0').
    private const string SearchScript = """
        local cur = redis.call('HGET', KEYS[1], ARGV[1])
        if not cur then
          if ARGV[4] ~= '1' then return 0 end
        else
          local v = tonumber(string.match(cur, '^(%d+)\n'))
          if v and v >= tonumber(ARGV[2]) then return 0 end
        end
        redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
        return 1
        """;

    /// <summary>Index entries one page looks at before it answers with what it found and a cursor (tests set a small one).</summary>
    internal int SearchBudget { get; init; } = DefaultSearchBudget;

    private RedisKey OrderKey => _prefix + "keyorder";

    private RedisKey SearchKey => _prefix + "keysearch";

    /// <summary>Set once every key stored before the order index existed is in it (<see cref="KeyIndexBuilder"/>).</summary>
    internal RedisKey OrderBuiltKey => _prefix + "keyorder:built";

    /// <summary>
    /// Up to <paramref name="limit"/> keys after <paramref name="after"/>, newest first, whose name or prefix contains
    /// <paramref name="query"/> (ignoring case). A filtered page stops after <see cref="SearchBudget"/> index entries, so it
    /// may hold fewer keys than asked, with a cursor to go on from.
    /// </summary>
    public async Task<KeyPage> PageAsync(int limit, KeyListPosition? after, string? query)
    {
        await _listGate.WaitAsync().ConfigureAwait(false);
        try
        {
            return await ReadPageAsync(limit, after, string.IsNullOrEmpty(query) ? null : query).ConfigureAwait(false);
        }
        finally
        {
            _listGate.Release();
        }
    }

    private async Task<KeyPage> ReadPageAsync(int limit, KeyListPosition? after, string? query)
    {
        var db = AdminDb;
        var keys = new List<ApiKey>(Math.Min(limit, 1000));
        var position = after;
        var budget = query is null ? Math.Max(SearchBudget, limit + 1) : SearchBudget;
        for (var scanned = 0; scanned < budget;)
        {
            // Unfiltered, one more than needed: a page that ends exactly at the list's end then says so (no cursor).
            var take = query is null ? limit - keys.Count + 1 : Math.Min(SearchBatch, budget - scanned);
            // ZREVRANGEBYLEX from just below the cursor (or the top) down: the client writes the bounds, a null one as +/-.
            var members = await db.SortedSetRangeByValueAsync(
                OrderKey, default, position is { } p ? p.Member : default, Exclude.Stop, Order.Descending, 0, take).ConfigureAwait(false);
            var entries = ParseMembers(members);
            var candidates = query is null ? entries : await MatchingAsync(entries, query).ConfigureAwait(false);
            var records = await ReadRecordsAsync(candidates.Select(e => e.Id).ToArray()).ConfigureAwait(false);
            foreach (var member in members)
            {
                scanned++;
                if (!KeyListPosition.TryParseMember((string)member!, out var entry))
                {
                    continue;
                }

                if (keys.Count == limit)
                {
                    // Another entry follows a full page: the next page starts after the last key given.
                    return new KeyPage(keys, position);
                }

                position = entry;
                if (records.TryGetValue(entry.Id, out var key) && (query is null || Matches(key, query)))
                {
                    keys.Add(key);
                }
            }

            if (members.Length < take)
            {
                return new KeyPage(keys, null);
            }
        }

        // The search budget ran out: what was found, and where to go on.
        return new KeyPage(keys, position);
    }

    private static List<KeyListPosition> ParseMembers(RedisValue[] members)
    {
        var entries = new List<KeyListPosition>(members.Length);
        foreach (var member in members)
        {
            if (KeyListPosition.TryParseMember((string)member!, out var entry))
            {
                entries.Add(entry);
            }
        }

        return entries;
    }

    private async Task<List<KeyListPosition>> MatchingAsync(List<KeyListPosition> entries, string query)
    {
        if (entries.Count == 0)
        {
            return entries;
        }

        var texts = await AdminDb.HashGetAsync(SearchKey, entries.Select(e => (RedisValue)e.Id).ToArray()).ConfigureAwait(false);
        var matching = new List<KeyListPosition>();
        for (var i = 0; i < entries.Count; i++)
        {
            // No text (an entry from an interrupted write): checked against the record, like any candidate.
            if (texts[i].IsNull || SearchTextMatches((string)texts[i]!, query))
            {
                matching.Add(entries[i]);
            }
        }

        return matching;
    }

    private static bool SearchTextMatches(string text, string query)
    {
        // {version}\n{createdAt}\n{name}\n{prefix}: the name may itself hold a newline, the prefix never does.
        var first = text.IndexOf('\n');
        var second = first < 0 ? -1 : text.IndexOf('\n', first + 1);
        var last = text.LastIndexOf('\n');
        if (second < 0 || last <= second)
        {
            return true;
        }

        var body = text.AsSpan();
        return body[(second + 1)..last].Contains(query, StringComparison.OrdinalIgnoreCase)
            || body[(last + 1)..].Contains(query, StringComparison.OrdinalIgnoreCase);
    }

    private static bool Matches(ApiKey key, string query) =>
        key.Name.Contains(query, StringComparison.OrdinalIgnoreCase) || key.Prefix.Contains(query, StringComparison.OrdinalIgnoreCase);

    /// <summary>The records of <paramref name="ids"/> in two pipelined rounds (id to hash, hash to record); one key per command.</summary>
    private async Task<Dictionary<string, ApiKey>> ReadRecordsAsync(string[] ids)
    {
        var db = AdminDb;
        var found = new Dictionary<string, ApiKey>(ids.Length, StringComparer.Ordinal);
        if (ids.Length == 0)
        {
            return found;
        }

        var hexes = await Task.WhenAll(ids.Select(id => db.StringGetAsync(IdKey(id)))).ConfigureAwait(false);
        var reads = new List<(string Id, Task<HashEntry[]> Record)>(ids.Length);
        for (var i = 0; i < ids.Length; i++)
        {
            if (!hexes[i].IsNullOrEmpty && KeyDigest.TryParseHex((string)hexes[i]!, out var digest))
            {
                reads.Add((ids[i], db.HashGetAllAsync(RecordKey(digest))));
            }
        }

        // lastUsedAt, sent with the records.
        var lastUsed = reads.Select(r => db.SortedSetScoreAsync(LastUsedKeyOf(r.Id), r.Id)).ToArray();
        await Task.WhenAll(reads.Select(r => r.Record)).ConfigureAwait(false);
        await Task.WhenAll(lastUsed).ConfigureAwait(false);
        var lastUsedOf = new Dictionary<string, double?>(reads.Count, StringComparer.Ordinal);
        for (var i = 0; i < reads.Count; i++)
        {
            lastUsedOf[reads[i].Id] = lastUsed[i].Result;
        }

        foreach (var (id, record) in reads)
        {
            // An id whose record is gone or names another id (an interrupted create or delete) lists as nothing.
            if (KeyRecordCodec.Decode(record.Result) is { } key && key.Id == id)
            {
                found[id] = WithLastUsed(key, lastUsedOf[id])!;
            }
        }

        return found;
    }

    /// <summary>The search text of a key as stored at <paramref name="version"/>.</summary>
    internal static string SearchText(ApiKey key, long version) =>
        FormattableString.Invariant($"{version}\n{key.CreatedAt.ToUnixTimeMilliseconds()}\n{key.Name}\n{key.Prefix}");

    /// <summary>Adds a key to both indexes (on create, and by the one-time build): idempotent.</summary>
    internal Task IndexAsync(IDatabaseAsync db, ApiKey key, long version) => Task.WhenAll(
        db.SortedSetAddAsync(OrderKey, KeyListPosition.Of(key).Member, 0),
        db.ScriptEvaluateAsync(SearchScript, [SearchKey], [key.Id, version, SearchText(key, version), "1"]));

    /// <summary>A rename's new search text, unless a later write already put a newer one, or the key is gone.</summary>
    private Task<RedisResult> RenameInIndexAsync(ApiKey key, long version) =>
        AdminDb.ScriptEvaluateAsync(SearchScript, [SearchKey], [key.Id, version, SearchText(key, version), "0"]);

    /// <summary>Removes a key from both indexes, last in a delete; the time comes from the record, else the search text.</summary>
    private async Task UnindexAsync(string id, ApiKey? deleted)
    {
        var createdAt = deleted?.CreatedAt.ToUnixTimeMilliseconds();
        if (createdAt is null)
        {
            var text = (string?)await AdminDb.HashGetAsync(SearchKey, id).ConfigureAwait(false);
            var parts = text?.Split('\n', 3);
            if (parts is { Length: 3 } && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var stored))
            {
                createdAt = stored;
            }
        }

        if (createdAt is { } ms)
        {
            await AdminDb.SortedSetRemoveAsync(OrderKey, new KeyListPosition(ms, id).Member).ConfigureAwait(false);
        }

        await AdminDb.HashDeleteAsync(SearchKey, id).ConfigureAwait(false);
    }
}
