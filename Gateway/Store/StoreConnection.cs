using Garnet;
using Gateway.Configuration;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Gateway.Store;

/// <summary>
/// The process's connections to the store: <see cref="Multiplexer"/> for the proxy's key lookups, the usage flusher and
/// invalidations, and <see cref="AdminMultiplexer"/> for the admin API alone. One multiplexer sends its commands in
/// order on one socket, so a list of 20,000 keys queued on the proxy's connection made every first-seen key wait
/// behind it past <c>Cache:StoreTimeout</c> (503, and an open circuit); on a connection of its own an admin call can
/// only delay other admin calls. With no <c>Redis:Configuration</c> it first starts an embedded Garnet on loopback and
/// connects to it through the very same client, so every code path is the real one.
/// </summary>
public sealed partial class StoreConnection : IDisposable
{
    private readonly GarnetServer? _embedded;

    public StoreConnection(IOptions<RedisOptions> redis, IOptions<StoreOptions> store, ILoggerFactory loggerFactory)
    {
        var logger = loggerFactory.CreateLogger<StoreConnection>();
        var configuration = redis.Value.Configuration;
        if (string.IsNullOrWhiteSpace(configuration))
        {
            var dataDirectory = Path.GetFullPath(store.Value.DataDirectory);
            (_embedded, var port) = EmbeddedGarnet.Start(dataDirectory, loggerFactory);
            configuration = $"127.0.0.1:{port}";
            Log.EmbeddedStore(logger, configuration, dataDirectory);
        }

        // Both at once: with Redis down at start each waits its connect timeout, and the start should wait only one.
        var proxy = Connect(configuration, "gateway");
        var admin = Connect(configuration, "gateway-admin");
        Multiplexer = proxy.GetAwaiter().GetResult();
        AdminMultiplexer = admin.GetAwaiter().GetResult();
        KeyPrefix = redis.Value.KeyPrefix;
    }

    /// <summary>The proxy's connection: key lookups, usage flushes, invalidations.</summary>
    public IConnectionMultiplexer Multiplexer { get; }

    /// <summary>The admin API's connection: its reads and writes never queue ahead of a key lookup.</summary>
    public IConnectionMultiplexer AdminMultiplexer { get; }

    public string KeyPrefix { get; }

    public IDatabase Database => Multiplexer.GetDatabase();

    public IDatabase AdminDatabase => AdminMultiplexer.GetDatabase();

    /// <summary>
    /// Whether each connection has every primary it knows connected (readiness). On Redis Cluster a PING answered by one
    /// node says nothing of the others, whose hash slots a key lookup or an admin write may need.
    /// </summary>
    public bool PrimariesConnected() => PrimariesConnected(Multiplexer) && PrimariesConnected(AdminMultiplexer);

    public void Dispose()
    {
        AdminMultiplexer.Dispose();
        Multiplexer.Dispose();
        _embedded?.Dispose();
    }

    private static bool PrimariesConnected(IConnectionMultiplexer multiplexer)
    {
        var any = false;
        foreach (var server in multiplexer.GetServers())
        {
            if (server.IsReplica)
            {
                continue;
            }

            if (!server.IsConnected)
            {
                return false;
            }

            any = true;
        }

        return any;
    }

    private static Task<ConnectionMultiplexer> Connect(string configuration, string clientName)
    {
        var options = ConfigurationOptions.Parse(configuration);
        // Start even when Redis is down: keys then fail closed with 503 and service resumes by itself when it returns
        // (the multiplexer keeps reconnecting in the background). ConnectRetry counts only the first connect's attempts:
        // it was int.MaxValue until 1 Dec, which made a start with Redis refusing connections wait for Redis for ever.
        options.AbortOnConnectFail = false;
        options.ConnectRetry = 3;
        options.ClientName ??= clientName;
        return ConnectionMultiplexer.ConnectAsync(options);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 100, Level = LogLevel.Warning,
            Message = "NO Redis:Configuration SET: USING THE EMBEDDED GARNET STORE at {Endpoint} with data under '{DataDirectory}'. Set Redis:Configuration for production and for more than one instance.")]
        public static partial void EmbeddedStore(ILogger logger, string endpoint, string dataDirectory);
    }
}
