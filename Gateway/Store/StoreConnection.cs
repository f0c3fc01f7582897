using Garnet;
using Gateway.Configuration;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Gateway.Store;

/// <summary>
/// The one <see cref="IConnectionMultiplexer"/> of the process. With no <c>Redis:Configuration</c> it first starts
/// an embedded Garnet on loopback and connects to it through the very same client, so every code path is the real one.
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

        var options = ConfigurationOptions.Parse(configuration);
        // Start even when Redis is down: keys then fail closed with 503 and service resumes by itself when it returns.
        options.AbortOnConnectFail = false;
        options.ConnectRetry = int.MaxValue;
        options.ClientName ??= "gateway";
        Multiplexer = ConnectionMultiplexer.Connect(options);
        KeyPrefix = redis.Value.KeyPrefix;
    }

    public IConnectionMultiplexer Multiplexer { get; }

    public string KeyPrefix { get; }

    public IDatabase Database => Multiplexer.GetDatabase();

    public void Dispose()
    {
        Multiplexer.Dispose();
        _embedded?.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 100, Level = LogLevel.Warning,
            Message = "NO Redis:Configuration SET: USING THE EMBEDDED GARNET STORE at {Endpoint} with data under '{DataDirectory}'. Set Redis:Configuration for production and for more than one instance.")]
        public static partial void EmbeddedStore(ILogger logger, string endpoint, string dataDirectory);
    }
}
