using System.Globalization;
using StackExchange.Redis;

namespace Gateway.Tests.Usage;

/// <summary>
/// The test's own view of the usage layout of the README's "Usage" section, read straight from Redis with its own connection,
/// independent of the gateway's code: <c>{prefix}usage:{&lt;keyId&gt;}:&lt;yyyyMMdd&gt;</c> and <c>{prefix}usage:keys:&lt;yyyyMMdd&gt;</c>.
/// </summary>
internal sealed class UsageRedis : IDisposable
{
    private readonly ConnectionMultiplexer _connection;
    private readonly string _prefix;

    private UsageRedis(ConnectionMultiplexer connection, string prefix)
    {
        _connection = connection;
        _prefix = prefix;
    }

    public IDatabase Db => _connection.GetDatabase();

    public IConnectionMultiplexer Multiplexer => _connection;

    public static async Task<UsageRedis> ConnectAsync(string configuration, string prefix)
    {
        var options = ConfigurationOptions.Parse(configuration);
        options.AbortOnConnectFail = false;
        options.AllowAdmin = true;
        options.ClientName = "usage-tests";
        // The test's own reads and its SAVE are not what is under test: a foreground SAVE on embedded Garnet (a
        // checkpoint) can take over the 1 s an outage test gives the gateway.
        options.SyncTimeout = Math.Max(options.SyncTimeout, 15_000);
        options.AsyncTimeout = Math.Max(options.AsyncTimeout, 15_000);
        return new UsageRedis(await ConnectionMultiplexer.ConnectAsync(options), prefix);
    }

    /// <summary>The UTC day of <paramref name="time"/> as the layout names it.</summary>
    public static string Day(DateTimeOffset time) => time.UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    public static string Today() => Day(DateTimeOffset.UtcNow);

    public RedisKey HashKey(string keyId, string day) => $"{_prefix}usage:{{{keyId}}}:{day}";

    public RedisKey DayIndexKey(string day) => $"{_prefix}usage:keys:{day}";

    /// <summary>
    /// The key's <c>lastUsedAt</c> (unix ms) where the README's layout places it: the score of member <c>&lt;keyId&gt;</c> in the sorted set
    /// <c>{prefix}lastused:{&lt;tag&gt;}</c>, the tag being the smallest non-negative integer whose hash slot is that of the key's
    /// usage hashes (<c>0</c> on one server, which has no slots). Null when it has none.
    /// </summary>
    public async Task<long?> LastUsedAsync(string keyId)
    {
        var slot = _connection.HashSlot(HashKey(keyId, "00000000"));
        var tag = slot < 0 ? 0 : Enumerable.Range(0, int.MaxValue).First(i => ClusterSlot.Of(i.ToString(CultureInfo.InvariantCulture)) == slot);
        var score = await Db.SortedSetScoreAsync($"{_prefix}lastused:{{{tag.ToString(CultureInfo.InvariantCulture)}}}", keyId);
        return score is { } ms ? (long)ms : null;
    }

    /// <summary>Every field of the key's usage hashes, summed over <paramref name="days"/>.</summary>
    public async Task<Dictionary<string, long>> CountsAsync(string keyId, IEnumerable<string> days)
    {
        var sums = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var day in days)
        {
            foreach (var entry in await Db.HashGetAllAsync(HashKey(keyId, day)))
            {
                sums[(string)entry.Name!] = sums.GetValueOrDefault((string)entry.Name!) + (long)entry.Value;
            }
        }

        return sums;
    }

    /// <summary>The union of the day index sets of <paramref name="days"/>.</summary>
    public async Task<SortedSet<string>> KeyIdsAsync(IEnumerable<string> days)
    {
        var ids = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var day in days)
        {
            foreach (var member in await Db.SetMembersAsync(DayIndexKey(day)))
            {
                ids.Add((string)member!);
            }
        }

        return ids;
    }

    /// <summary>Every Redis key under the prefix whose name starts with <paramref name="after"/>.</summary>
    public async Task<SortedSet<string>> ScanAsync(string after)
    {
        var found = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var endpoint in _connection.GetEndPoints())
        {
            await foreach (var key in _connection.GetServer(endpoint).KeysAsync(pattern: _prefix + after + "*", pageSize: 500))
            {
                found.Add(((string)key!)[_prefix.Length..]);
            }
        }

        return found;
    }

    /// <summary>Writes the dataset to disk so a restarted store comes back with it, like a Redis with persistence.</summary>
    public async Task SaveAsync()
    {
        foreach (var endpoint in _connection.GetEndPoints())
        {
            // A foreground SAVE: the dataset is tiny, and the test needs it on disk before the store stops.
            await _connection.GetServer(endpoint).ExecuteAsync("SAVE");
        }
    }

    public void Dispose() => _connection.Dispose();

    /// <summary>Renders counts for assertion messages, sorted so two renderings compare as strings.</summary>
    public static string Show(IReadOnlyDictionary<string, long> counts) =>
        "{" + string.Join(", ", counts.Where(c => c.Value != 0).OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key}={c.Value}")) + "}";
}
