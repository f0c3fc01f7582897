using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Store;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Gateway.Audit;

/// <summary>
/// One admin change: who, what, the key's view before and after (never a plaintext or a hash), when, and the key's
/// version the change stored (or, for a delete, deleted). Entries of one key sorted by version chain: each one's
/// <c>before</c> is the previous one's <c>after</c>, since a write stores only over the state it read.
/// </summary>
public sealed record AuditEntry(DateTimeOffset At, string Actor, string Client, string? Address, string Action, string? KeyId, JsonNode? Before, JsonNode? After, long? Version = null);

/// <summary>
/// Appends every admin change to the Redis stream <c>{prefix}audit</c>, trimmed to <c>Audit:MaxEntries</c>. A store
/// without streams (the embedded Garnet has none) gets a list, <c>{prefix}audit:list</c>, trimmed the same way.
/// It uses the admin connection: reading a thousand entries never delays the proxy's key lookups.
/// </summary>
public sealed partial class AuditLog(StoreConnection connection, IOptions<AuditOptions> options, ILogger<AuditLog> logger)
{
    private readonly RedisKey _stream = connection.KeyPrefix + "audit";
    private readonly RedisKey _list = connection.KeyPrefix + "audit:list";
    private readonly int _maxEntries = options.Value.MaxEntries;
    private volatile bool _noStreams;

    public async Task AppendAsync(AuditEntry entry)
    {
        var json = JsonSerializer.Serialize(ToJson(entry));
        var db = connection.AdminDatabase;
        try
        {
            if (!_noStreams)
            {
                try
                {
                    await db.StreamAddAsync(_stream, "entry", json, maxLength: _maxEntries, useApproximateMaxLength: true).ConfigureAwait(false);
                    return;
                }
                catch (RedisServerException ex) when (ex.Message.Contains("unknown command", StringComparison.OrdinalIgnoreCase))
                {
                    _noStreams = true;
                }
            }

            await db.ListLeftPushAsync(_list, json).ConfigureAwait(false);
            await db.ListTrimAsync(_list, 0, _maxEntries - 1).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // The change itself is already in the store; failing the call now would invite a retry that changes
            // it twice. The entry is logged instead (it holds no secret) so the trail has no silent gap.
            Log.AppendFailed(logger, ex.GetType().Name, json);
        }
    }

    /// <summary>The newest <paramref name="limit"/> entries, newest first.</summary>
    public async Task<IReadOnlyList<JsonNode>> ReadAsync(int limit)
    {
        var db = connection.AdminDatabase;
        var raw = new List<string>();
        if (!_noStreams)
        {
            try
            {
                foreach (var item in await db.StreamRangeAsync(_stream, "-", "+", limit, Order.Descending).ConfigureAwait(false))
                {
                    raw.Add((string)item["entry"]!);
                }

                return Parse(raw);
            }
            catch (RedisServerException ex) when (ex.Message.Contains("unknown command", StringComparison.OrdinalIgnoreCase))
            {
                _noStreams = true;
            }
        }

        foreach (var item in await db.ListRangeAsync(_list, 0, limit - 1).ConfigureAwait(false))
        {
            raw.Add((string)item!);
        }

        return Parse(raw);
    }

    private static List<JsonNode> Parse(List<string> raw) =>
        raw.Select(r => JsonNode.Parse(r)).OfType<JsonNode>().ToList();

    private static JsonObject ToJson(AuditEntry entry) => new()
    {
        ["at"] = entry.At.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture),
        ["actor"] = entry.Actor,
        ["client"] = entry.Client,
        ["address"] = entry.Address,
        ["action"] = entry.Action,
        ["keyId"] = entry.KeyId,
        ["before"] = entry.Before?.DeepClone(),
        ["after"] = entry.After?.DeepClone(),
        ["version"] = entry.Version,
    };

    private static partial class Log
    {
        [LoggerMessage(EventId = 400, Level = LogLevel.Error, Message = "Could not append to the audit log ({Error}); the entry was: {Entry}")]
        public static partial void AppendFailed(ILogger logger, string error, string entry);
    }
}
