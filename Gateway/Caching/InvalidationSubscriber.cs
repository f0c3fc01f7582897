using Gateway.Keys;
using Gateway.Store;
using Gateway.WebSockets;
using StackExchange.Redis;

namespace Gateway.Caching;

/// <summary>
/// Every instance listens on <c>{prefix}invalidate</c> and drops its L1 copy of the named key. Messages
/// published while this instance was disconnected are not replayed, so a restored connection clears L1.
/// </summary>
internal sealed partial class InvalidationSubscriber(StoreConnection connection, KeyStore store, KeyCache cache, UpgradeRegistry upgrades, ILogger<InvalidationSubscriber> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        connection.Multiplexer.ConnectionRestored += OnConnectionRestored;
        try
        {
            await connection.Multiplexer.GetSubscriber().SubscribeAsync(store.InvalidationChannel, OnMessage).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // The multiplexer re-subscribes when the connection comes back; until then L1Ttl bounds staleness.
            Log.SubscribeFailed(logger, ex.Message);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        connection.Multiplexer.ConnectionRestored -= OnConnectionRestored;
        return Task.CompletedTask;
    }

    private void OnMessage(RedisChannel channel, RedisValue message)
    {
        // The library swallows handler exceptions; this handler cannot throw.
        if (KeyDigest.TryParseHex(((string?)message).AsSpan(), out var digest))
        {
            cache.Invalidate(digest);
            // After the invalidation, so the recheck reads the key as it is now; open upgrades of it close within 1 s.
            upgrades.Recheck(digest);
        }
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        cache.Clear();
        upgrades.RecheckAll();
        Log.ClearedOnReconnect(logger, e.ConnectionType);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 210, Level = LogLevel.Warning, Message = "Could not subscribe to key invalidations yet: {Error}")]
        public static partial void SubscribeFailed(ILogger logger, string error);

        [LoggerMessage(EventId = 211, Level = LogLevel.Information, Message = "Store connection restored ({ConnectionType}); the in-memory key cache was cleared.")]
        public static partial void ClearedOnReconnect(ILogger logger, ConnectionType connectionType);
    }
}
