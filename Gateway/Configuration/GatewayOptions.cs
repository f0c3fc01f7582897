using System.ComponentModel.DataAnnotations;
using Gateway.GraphQL;

namespace Gateway.Configuration;

/// <summary><c>Redis</c>: where key records and usage live.</summary>
public sealed class RedisOptions
{
    public const string Section = "Redis";

    /// <summary>A StackExchange.Redis configuration string; empty starts the embedded Garnet store.</summary>
    public string? Configuration { get; set; }

    /// <summary>Prefix of every Redis key the gateway writes.</summary>
    public string KeyPrefix { get; set; } = "gw:";
}

/// <summary><c>Store</c>: the embedded store used when no Redis is configured.</summary>
public sealed class StoreOptions
{
    public const string Section = "Store";

    public string DataDirectory { get; set; } = "data";
}

/// <summary><c>Admin</c>: the admin API's credential.</summary>
public sealed class AdminOptions
{
    public const string Section = "Admin";

    /// <summary>Bearer token for <c>/admin/*</c>; empty means one is generated at start and printed once.</summary>
    public string? Token { get; set; }
}

/// <summary><c>Cache</c>: lifetimes of the in-memory (L1) tier in front of the store.</summary>
public sealed class CacheOptions
{
    public const string Section = "Cache";

    /// <summary>How long a found key is trusted without asking the store; the bound on a lost invalidation.</summary>
    public TimeSpan L1Ttl { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a key the store does not know is remembered as unknown.</summary>
    public TimeSpan NegativeTtl { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long past <see cref="L1Ttl"/> a found key keeps working while the store is unreachable.</summary>
    public TimeSpan StaleIfErrorTtl { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Most found keys held in memory; the least recently fetched are evicted past it.</summary>
    [Range(1, int.MaxValue)]
    public int L1MaxEntries { get; set; } = 100_000;

    /// <summary>Most unknown keys remembered; kept apart so a flood of invented keys cannot evict real ones.</summary>
    [Range(1, int.MaxValue)]
    public int NegativeMaxEntries { get; set; } = 100_000;

    /// <summary>Longest a request waits on one store read before it is treated as a store failure.</summary>
    public TimeSpan StoreTimeout { get; set; } = TimeSpan.FromMilliseconds(500);
}

/// <summary><c>Usage</c>: how counters reach Redis.</summary>
public sealed class UsageOptions
{
    public const string Section = "Usage";

    /// <summary>Whether requests are counted at all; off only to measure what counting costs (bench/usage-cost.sh).</summary>
    public bool Enabled { get; set; } = true;

    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(1);

    [Range(1, 3650)]
    public int RetentionDays { get; set; } = 90;

    /// <summary>
    /// Most distinct counters (key, UTC day, target) held in memory, flushed or not. In its last tenth, new targets
    /// of every key go to that key's <c>other</c> counter; past it, a key with no <c>other</c> counter yet has its
    /// counts dropped (counted in <c>gateway_usage_dropped_total</c>) while requests keep being served.
    /// </summary>
    [Range(1, int.MaxValue)]
    public int MaxPendingCounters { get; set; } = 1_000_000;

    /// <summary>
    /// Most targets counted separately per key and UTC day (contract §6); requests for any further target are
    /// counted under the key's <c>other</c> target, so one key spraying endpoint ids cannot crowd out the others.
    /// </summary>
    [Range(1, 100_000)]
    public int MaxTargetsPerKey { get; set; } = 1000;
}

/// <summary><c>KeyScopes</c>: limits of the enforcement step.</summary>
public sealed class KeyScopesOptions
{
    public const string Section = "KeyScopes";

    [Range(1, 64 * 1024 * 1024)]
    public int MaxGraphQLBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Most bytes of GraphQL bodies held at once, over every request; past it a request is 503 <c>overloaded</c>.</summary>
    [Range(1, long.MaxValue)]
    public long MaxBufferedGraphQLBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>How long a GraphQL body may take to arrive, from when the gateway starts reading it; then 408 <c>body_timeout</c>.</summary>
    public TimeSpan GraphQLBodyTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Most fields nested in one another in a GraphQL document, counted through fragment spreads.</summary>
    // Past about 60 the parser's own nesting limit (GraphQLClassifier.MaxDocumentDepth) answers first.
    [Range(1, 60)]
    public int MaxGraphQLDepth { get; set; } = GraphQLLimits.DefaultMaxDepth;

    /// <summary>Most lexical tokens in the GraphQL documents of one request (a batch shares them).</summary>
    [Range(1, 10_000_000)]
    public int MaxGraphQLTokens { get; set; } = GraphQLLimits.DefaultMaxTokens;

    /// <summary>Most aliases in the GraphQL documents of one request (a batch shares them).</summary>
    [Range(0, 10_000_000)]
    public int MaxGraphQLAliases { get; set; } = GraphQLLimits.DefaultMaxAliases;

    public const string GraphQLWebSocketsJudged = "judged";
    public const string GraphQLWebSocketsRefuse = "refuse";

    /// <summary>
    /// Upgrades on GraphQL routes: <c>judged</c> relays graphql-transport-ws and graphql-ws message by message,
    /// judging every operation; <c>refuse</c> answers them 405.
    /// </summary>
    [AllowedValues(GraphQLWebSocketsJudged, GraphQLWebSocketsRefuse)]
    public string GraphQLWebSockets { get; set; } = GraphQLWebSocketsJudged;

    public GraphQLLimits GraphQLLimits => new(MaxGraphQLDepth, MaxGraphQLTokens, MaxGraphQLAliases);
}

/// <summary><c>Upstreams:&lt;clusterId&gt;</c>: per-cluster credentials the gateway sends in place of the client's key.</summary>
public sealed class UpstreamOptions
{
    public const string Section = "Upstreams";

    public string? Authorization { get; set; }
}
