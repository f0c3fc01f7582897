using Gateway.Keys;
using StackExchange.Redis;

namespace Gateway.Store;

/// <summary>
/// Puts the keys stored before the paged list's indexes existed into them, once per store: at start, unless the marker
/// says it was done. Every step is idempotent (a sorted-set add, a search text written only over an older version), so
/// several instances starting at once may all run it; the marker is set by whichever finishes, after the last entry.
/// Until then a list shows the keys indexed so far (every key created or renamed since this version, and those the
/// build has reached).
/// </summary>
internal sealed partial class KeyIndexBuilder(KeyStore store, ILogger<KeyIndexBuilder> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        for (var attempt = 1; !stoppingToken.IsCancellationRequested; attempt++)
        {
            try
            {
                if (await store.BuildIndexAsync(stoppingToken).ConfigureAwait(false) is { } indexed)
                {
                    Log.Built(logger, indexed);
                }

                return;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                // Retried until the store answers: until then the list misses only keys from before this version, and a
                // lookup never depends on these indexes (fails open for the list's completeness only, never for access).
                Log.Failed(logger, ex, attempt);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(30, attempt * 2)), stoppingToken).ConfigureAwait(false);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 130, Level = LogLevel.Information, Message = "Key list index built: {Indexed} existing keys indexed.")]
        public static partial void Built(ILogger logger, long indexed);

        [LoggerMessage(EventId = 131, Level = LogLevel.Warning, Message = "Key list index build failed (attempt {Attempt}); retrying.")]
        public static partial void Failed(ILogger logger, Exception exception, int attempt);
    }
}

public sealed partial class KeyStore
{
    /// <summary>
    /// Indexes every key in the pre-page list (<c>{prefix}keys</c>) a thousand at a time, then sets the marker; null when
    /// the marker was already set. Safe to run concurrently and to repeat.
    /// </summary>
    internal async Task<long?> BuildIndexAsync(CancellationToken cancellationToken)
    {
        var db = AdminDb;
        if (await db.KeyExistsAsync(OrderBuiltKey).ConfigureAwait(false))
        {
            return null;
        }

        long indexed = 0;
        var ids = new List<string>(1000);
        await foreach (var entry in db.SortedSetScanAsync(ListKey, pageSize: 1000).WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            ids.Add((string)entry.Element!);
            if (ids.Count == 1000)
            {
                indexed += await IndexExistingAsync(ids).ConfigureAwait(false);
                ids.Clear();
            }
        }

        indexed += await IndexExistingAsync(ids).ConfigureAwait(false);
        await db.StringSetAsync(OrderBuiltKey, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()).ConfigureAwait(false);
        return indexed;
    }

    // A key deleted between the read and the index write leaves an entry without a record: the list skips it.
    private async Task<int> IndexExistingAsync(List<string> ids)
    {
        var records = await ReadRecordsAsync([.. ids]).ConfigureAwait(false);
        await Task.WhenAll(records.Values.Select(key => IndexAsync(AdminDb, key, key.Version))).ConfigureAwait(false);
        return records.Count;
    }
}
