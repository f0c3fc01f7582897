using Gateway.Configuration;
using Gateway.Keys;
using Gateway.Store;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Store;

// Every instance's usage flusher writes lastUsedAt into a busy key's record every flush interval. An admin update racing that
// write must still land (found by bench/revocation.sh: a disable answered 404 key_not_found for a key in use).
public class KeyStoreConcurrencyTests
{
    [Fact]
    public async Task UpdateAsync_RecordWrittenConcurrently_EveryUpdateLands()
    {
        using var connection = new StoreConnection(
            Options.Create(new RedisOptions { Configuration = TestStore.Configuration, KeyPrefix = TestStore.UniquePrefix() }),
            Options.Create(new StoreOptions()),
            NullLoggerFactory.Instance);
        var store = new KeyStore(connection);
        var plaintext = KeyFormat.Generate();
        var digest = KeyDigest.Compute(plaintext);
        var key = new ApiKey(KeyIds.NewId(), "busy", KeyKind.Rpa, KeyFormat.DisplayPrefix(plaintext), true,
            DateTimeOffset.UtcNow, null, null, KeyScopes.All);
        Assert.True(await store.CreateAsync(key, digest));

        // Another instance's flusher, on its own connection (one multiplexer never interleaves another command into
        // its own transaction), and about a thousand times more often than once a second, so the race shows up within a few updates.
        using var other = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(TestStore.Configuration);
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            var db = other.GetDatabase();
            for (var ms = 1L; !stop.IsCancellationRequested; ms++)
            {
                await db.HashSetAsync(store.RecordKey(digest), KeyRecordCodec.LastUsedAt, ms);
                await Task.Delay(1);
            }
        });

        try
        {
            for (var i = 0; i < 60; i++)
            {
                var enabled = i % 2 == 1;
                var updated = await store.UpdateAsync(key.Id, k => k with { Enabled = enabled });
                Assert.NotNull(updated);
                Assert.Equal(enabled, updated.Enabled);
                Assert.Equal(enabled, (await store.GetAsync(key.Id))!.Enabled);
            }
        }
        finally
        {
            stop.Cancel();
            await writer;
        }
    }
}
