namespace Gateway.Store;

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
