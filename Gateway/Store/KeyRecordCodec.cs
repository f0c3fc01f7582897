using System.Globalization;
using System.Text.Json;
using Gateway.Keys;
using Gateway.RateLimiting;
using StackExchange.Redis;

namespace Gateway.Store;

/// <summary>
/// The Redis layout of one key record: a hash at <c>{prefix}key:{sha256 hex}</c>. Plaintext is never stored;
/// the hash of the key is the record's address, so a lookup is one <c>HGETALL</c>.
/// </summary>
internal static class KeyRecordCodec
{
    public const string Id = "id";
    public const string Name = "name";
    public const string Kind = "kind";
    public const string Prefix = "prefix";
    public const string Enabled = "enabled";
    public const string CreatedAt = "createdAt";
    public const string ExpiresAt = "expiresAt";
    public const string LastUsedAt = "lastUsedAt";
    public const string GraphQL = "graphql";
    public const string Endpoints = "endpoints";
    public const string Version = "version";
    public const string RateLimits = "rateLimits";
    public const string Replaces = "replaces";
    public const string ReplacedBy = "replacedBy";
    public const string AllowedIps = "allowedIps";

    public static HashEntry[] Encode(ApiKey key) =>
    [
        new(Id, key.Id),
        new(Name, key.Name),
        new(Kind, key.Kind.ToWire()),
        new(Prefix, key.Prefix),
        new(Enabled, key.Enabled ? 1 : 0),
        new(CreatedAt, key.CreatedAt.ToUnixTimeMilliseconds()),
        new(ExpiresAt, key.ExpiresAt?.ToUnixTimeMilliseconds() ?? 0),
        new(GraphQL, key.Scopes.GraphQL.ToWire()),
        new(Endpoints, EncodeEndpoints(key.Scopes.Endpoints)),
        new(Version, key.Version),
        new(RateLimits, RateLimitRule.Encode(key.RateLimits)),
        new(AllowedIps, Keys.AllowedIps.Encode(key.AllowedIps)),
        .. Lineage(key),
    ];

    // Written only for a key a roll made or replaced, so a key never rolled keeps the record it always had.
    private static HashEntry[] Lineage(ApiKey key) => (key.Replaces, key.ReplacedBy) switch
    {
        (null, null) => [],
        (var replaces, null) => [new(Replaces, replaces)],
        (null, var replacedBy) => [new(ReplacedBy, replacedBy)],
        var (replaces, replacedBy) => [new(Replaces, replaces), new(ReplacedBy, replacedBy)],
    };

    /// <summary>The fields an admin change may write (never the version, which the write script sets).</summary>
    public static HashEntry[] EncodeMutable(ApiKey key) =>
    [
        new(Name, key.Name),
        new(Enabled, key.Enabled ? 1 : 0),
        new(ExpiresAt, key.ExpiresAt?.ToUnixTimeMilliseconds() ?? 0),
        new(GraphQL, key.Scopes.GraphQL.ToWire()),
        new(Endpoints, EncodeEndpoints(key.Scopes.Endpoints)),
        new(RateLimits, RateLimitRule.Encode(key.RateLimits)),
        new(AllowedIps, Keys.AllowedIps.Encode(key.AllowedIps)),
    ];

    /// <summary>Decodes a record; a record that does not decode is treated as absent (fail closed) by the caller.</summary>
    public static ApiKey? Decode(HashEntry[] entries)
    {
        if (entries.Length == 0)
        {
            return null;
        }

        string? id = null, name = null, prefix = null, rateLimits = null, replaces = null, replacedBy = null, allowedIps = null;
        RedisValue endpoints = RedisValue.Null;
        KeyKind? kind = null;
        AccessLevel? graphql = null;
        bool? enabled = null;
        long createdAt = -1, expiresAt = 0, lastUsedAt = 0, version = 0;
        foreach (var entry in entries)
        {
            switch ((string?)entry.Name)
            {
                case Id: id = entry.Value; break;
                case Name: name = entry.Value; break;
                case Prefix: prefix = entry.Value; break;
                case Endpoints: endpoints = entry.Value; break;
                case Kind: kind = KeyKinds.TryParse(entry.Value, out var k) ? k : null; break;
                case GraphQL: graphql = AccessLevels.TryParse(entry.Value, out var g) ? g : null; break;
                case Enabled: enabled = entry.Value == 1; break;
                case CreatedAt: createdAt = ParseLong(entry.Value); break;
                case ExpiresAt: expiresAt = ParseLong(entry.Value); break;
                case LastUsedAt: lastUsedAt = ParseLong(entry.Value); break;
                case Version: version = ParseLong(entry.Value); break;
                case RateLimits: rateLimits = entry.Value; break;
                case Replaces: replaces = entry.Value; break;
                case ReplacedBy: replacedBy = entry.Value; break;
                case AllowedIps: allowedIps = entry.Value; break;
            }
        }

        // A record without a version predates versions (0); one with an unreadable version is damaged, like any bad field.
        if (id is null || name is null || prefix is null || kind is null || graphql is null || enabled is null || createdAt < 0 || version < 0
            || DecodeEndpoints(endpoints) is not { } endpointLevels
            || RateLimitRule.Decode(rateLimits) is not { } limits
            || Keys.AllowedIps.Decode(allowedIps) is not { } allowed)
        {
            return null;
        }

        return new ApiKey(
            id,
            name,
            kind.Value,
            prefix,
            enabled.Value,
            DateTimeOffset.FromUnixTimeMilliseconds(createdAt),
            lastUsedAt > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(lastUsedAt) : null,
            expiresAt > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(expiresAt) : null,
            KeyScopes.Of(graphql.Value, endpointLevels))
        {
            Version = version,
            RateLimits = limits,
            // An empty value is none: an undone roll clears the field (KeyStore.Roll.cs).
            Replaces = string.IsNullOrEmpty(replaces) ? null : replaces,
            ReplacedBy = string.IsNullOrEmpty(replacedBy) ? null : replacedBy,
            AllowedIps = allowed,
        };
    }

    public static string EncodeEndpoints(IReadOnlyDictionary<string, AccessLevel> endpoints)
    {
        var wire = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (endpoint, level) in endpoints)
        {
            wire[endpoint] = level.ToWire();
        }

        return JsonSerializer.Serialize(wire);
    }

    // Read straight from the reply's bytes into the compact form L1 keeps: no Dictionary<string, string> on the way,
    // and no string at all for the levels or for "*" (issue 11: a miss allocated ~6.5 KB). Accepts what the serializer
    // accepted before: one JSON object of string values, each a level; anything else means the record is damaged.
    private static EndpointLevels? DecodeEndpoints(RedisValue value)
    {
        if (value.IsNull)
        {
            return null;
        }

        ReadOnlyMemory<byte> json = value;
        try
        {
            var reader = new Utf8JsonReader(json.Span);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            var entries = new List<EndpointLevels.Entry>(4);
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var endpoint = reader.ValueTextEquals(KeyScopes.AnyEndpoint) ? KeyScopes.AnyEndpoint : reader.GetString()!;
                if (!reader.Read() || reader.TokenType != JsonTokenType.String || ReadLevel(ref reader) is not { } level)
                {
                    return null;
                }

                entries.Add(new(endpoint, level));
            }

            // The object must be closed and be the whole value (the reader throws on anything after it).
            return reader.TokenType == JsonTokenType.EndObject && !reader.Read() ? EndpointLevels.Create(entries) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static AccessLevel? ReadLevel(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals(AccessLevels.ReadWriteWire) ? AccessLevel.ReadWrite
        : reader.ValueTextEquals(AccessLevels.ReadWire) ? AccessLevel.Read
        : reader.ValueTextEquals(AccessLevels.NoneWire) ? AccessLevel.None
        : null;

    private static long ParseLong(RedisValue value) =>
        long.TryParse((string?)value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) ? parsed : -1;
}
