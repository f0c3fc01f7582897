using Gateway.Configuration;
using System.Diagnostics.Metrics;
using Gateway.Keys;
using Gateway.Observability;
using Gateway.Store;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Store;

// Admin writes are compare-and-set on the record's version. Two instances (two stores, two connections) writing one key
// conflict, and a conflict is read again and re-applied, never written over: found from outside, a rename racing a
// disable put the stale "enabled" back. An instance of a version before 1 Dec writes lastUsedAt into a busy key's record
// (later ones write it into the slot's lastused hash, beside the usage hashes); that must neither conflict with nor be
// undone by an admin write (found by bench/revocation.sh: a disable answered 404).
public class KeyStoreConcurrencyTests
{
    [Fact]
    public async Task UpdateAsync_RecordWrittenConcurrently_EveryUpdateLands()
    {
        using var instance = new Instance(TestStore.UniquePrefix());
        var store = instance.Store;
        var (key, digest) = await CreateAsync(store, "busy");

        // An older instance's flusher, on its own connection, about a thousand times more often than once a second.
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
                var write = await store.UpdateAsync(key.Id, k => k with { Enabled = enabled });
                Assert.Equal(KeyWriteStatus.Written, write.Status);
                Assert.Equal(enabled, write.After!.Enabled);
                Assert.Equal(enabled, (await store.GetAsync(key.Id))!.Enabled);
            }
        }
        finally
        {
            stop.Cancel();
            await writer;
        }

        // lastUsedAt is usage, not a setting: the flusher's writes never moved the version nor made an update retry.
        Assert.Equal(KeyStore.FirstVersion + 60, (await store.GetAsync(key.Id))!.Version);
        Assert.Equal(0, instance.Conflicts());
    }

    [Fact]
    public async Task UpdateAsync_RecordChangedBetweenReadAndWrite_IsRetriedOnTheNewState()
    {
        var prefix = TestStore.UniquePrefix();
        using var instance = new Instance(prefix);
        using var other = new Instance(prefix);
        var store = instance.Store;
        var otherInstance = other.Store;
        var (key, _) = await CreateAsync(store, "original");

        var calls = 0;
        var write = await store.UpdateAsync(key.Id, current =>
        {
            // The first time only, another instance disables the key after this write read it and before it stores.
            if (Interlocked.Increment(ref calls) == 1)
            {
                Assert.Equal(KeyWriteStatus.Written, otherInstance.UpdateAsync(key.Id, k => k with { Enabled = false }).GetAwaiter().GetResult().Status);
            }

            return current with { Name = "renamed" };
        });

        Assert.Equal(2, calls);
        // The conflict is the operator's to see, on the gateway.admin.write_conflicts counter, and the other write made none.
        Assert.Equal((1, 0), (instance.Conflicts(), other.Conflicts()));
        Assert.Equal(KeyWriteStatus.Written, write.Status);
        // What the write replaced is the other instance's state, and what it stored keeps that state's disable.
        Assert.False(write.Before!.Enabled);
        Assert.Equal(KeyStore.FirstVersion + 1, write.Before.Version);
        Assert.Equal((false, "renamed", KeyStore.FirstVersion + 2), (write.After!.Enabled, write.After.Name, write.After.Version));
        var stored = (await store.GetAsync(key.Id))!;
        Assert.Equal((false, "renamed", KeyStore.FirstVersion + 2), (stored.Enabled, stored.Name, stored.Version));
    }

    [Fact]
    public async Task UpdateAsync_TwoInstancesIncrementingOneKey_LoseNoIncrement()
    {
        const int PerInstance = 100;
        var prefix = TestStore.UniquePrefix();
        using var instanceA = new Instance(prefix);
        using var instanceB = new Instance(prefix);
        var (a, b) = (instanceA.Store, instanceB.Store);
        var (key, _) = await CreateAsync(a, "0");

        // A read-modify-write that is only right if each write applies to the state it read.
        async Task IncrementAsync(KeyStore store)
        {
            for (var i = 0; i < PerInstance; i++)
            {
                var write = await store.UpdateAsync(key.Id, k => k with { Name = (int.Parse(k.Name) + 1).ToString() });
                Assert.Equal(KeyWriteStatus.Written, write.Status);
                Assert.Equal(int.Parse(write.Before!.Name) + 1, int.Parse(write.After!.Name));
            }
        }

        await Task.WhenAll(Task.Run(() => IncrementAsync(a)), Task.Run(() => IncrementAsync(b)));

        var stored = (await a.GetAsync(key.Id))!;
        Assert.Equal((2 * PerInstance).ToString(), stored.Name);
        Assert.Equal(KeyStore.FirstVersion + 2 * PerInstance, stored.Version);
        // Fails rather than passes when the two loops happened not to overlap: then nothing was proved.
        Assert.True(instanceA.Conflicts() + instanceB.Conflicts() > 0, "the two instances never conflicted, so nothing was proved");
    }

    [Fact]
    public async Task DeleteAsync_WithAPreconditionThatNoLongerHolds_DeletesNothing()
    {
        using var connection = Connect(TestStore.UniquePrefix());
        var store = new KeyStore(connection);
        var (key, digest) = await CreateAsync(store, "kept");
        Assert.Equal(KeyWriteStatus.Written, (await store.UpdateAsync(key.Id, k => k with { Name = "moved on" })).Status);

        var delete = await store.DeleteAsync(key.Id, version => version == KeyStore.FirstVersion);

        Assert.Equal(KeyWriteStatus.PreconditionFailed, delete.Status);
        Assert.NotNull(await store.FindAsync(digest));
        var deleted = await store.DeleteAsync(key.Id, version => version == KeyStore.FirstVersion + 1);
        Assert.Equal((KeyWriteStatus.Written, "moved on"), (deleted.Status, deleted.Before!.Name));
        Assert.Null(await store.FindAsync(digest));
    }

    [Fact]
    public async Task UpdateAsync_ARecordFromBeforeVersions_IsVersionZero_AndUpdatesToOne()
    {
        using var connection = Connect(TestStore.UniquePrefix());
        var store = new KeyStore(connection);
        var (key, digest) = await CreateAsync(store, "old");
        await connection.Database.HashDeleteAsync(store.RecordKey(digest), KeyRecordCodec.Version);
        Assert.Equal(0, (await store.GetAsync(key.Id))!.Version);

        var write = await store.UpdateAsync(key.Id, k => k with { Enabled = false }, version => version == 0);

        Assert.Equal((KeyWriteStatus.Written, 1L), (write.Status, write.After!.Version));
        Assert.False((await store.FindAsync(digest))!.Enabled);
    }

    /// <summary>One gateway instance's store: its own connection, and its own meters, read as an exporter reads them.</summary>
    private sealed class Instance : IDisposable
    {
        private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        private readonly StoreConnection _connection;
        private readonly MetricCollector<long> _conflicts;

        public Instance(string prefix)
        {
            var factory = _services.GetRequiredService<IMeterFactory>();
            _conflicts = new MetricCollector<long>(factory, GatewayMetrics.MeterName, "gateway.admin.write_conflicts");
            _connection = Connect(prefix);
            Store = new KeyStore(_connection, new GatewayMetrics(factory));
        }

        public KeyStore Store { get; }

        /// <summary>The <c>gateway.admin.write_conflicts</c> total this instance reports now.</summary>
        public long Conflicts()
        {
            _conflicts.RecordObservableInstruments();
            return _conflicts.LastMeasurement?.Value ?? 0;
        }

        public void Dispose()
        {
            _conflicts.Dispose();
            _connection.Dispose();
            _services.Dispose();
        }
    }

    private static StoreConnection Connect(string prefix) => new(
        Options.Create(new RedisOptions { Configuration = TestStore.Configuration, KeyPrefix = prefix }),
        Options.Create(new StoreOptions()),
        NullLoggerFactory.Instance);

    private static async Task<(ApiKey Key, KeyDigest Digest)> CreateAsync(KeyStore store, string name)
    {
        var plaintext = KeyFormat.Generate();
        var digest = KeyDigest.Compute(plaintext);
        var key = new ApiKey(KeyIds.NewId(), name, KeyKind.Rpa, KeyFormat.DisplayPrefix(plaintext), true,
            DateTimeOffset.UtcNow, null, null, KeyScopes.All);
        Assert.True(await store.CreateAsync(key, digest, announce: true));
        return (key, digest);
    }
}
