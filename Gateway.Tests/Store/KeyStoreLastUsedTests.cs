using Gateway.Keys;
using Gateway.Store;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Usage;

namespace Gateway.Tests.Store;

/// <summary>
/// Where a key's <c>lastUsedAt</c> is read from (issue 11): the slot's <c>lastused</c> sorted set the usage flush writes, and the
/// record's own field that versions before 1 Dec wrote; a view shows the later of the two, on every admin read (one key,
/// a list page, by hash), and a delete removes the key's field.
/// </summary>
public sealed class KeyStoreLastUsedTests : IAsyncLifetime
{
    private readonly string _prefix = TestStore.UniquePrefix();
    private StoreConnection _connection = null!;
    private KeyStore _store = null!;
    private UsageRedis _redis = null!;

    public async Task InitializeAsync()
    {
        _connection = TestStore.Connect(_prefix);
        _store = new KeyStore(_connection);
        _redis = await UsageRedis.ConnectAsync(TestStore.Configuration, _prefix);
    }

    public Task DisposeAsync()
    {
        _redis.Dispose();
        _connection.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task AViewShowsTheLaterOfTheRecordsFieldAndTheSlotHash_OnEveryAdminRead()
    {
        var plaintext = KeyFormat.Generate();
        var digest = KeyDigest.Compute(plaintext);
        var key = new ApiKey(KeyIds.NewId(), "used", KeyKind.Rpa, KeyFormat.DisplayPrefix(plaintext), true, DateTimeOffset.UtcNow, null, null, KeyScopes.All);
        Assert.True(await _store.CreateAsync(key, digest, announce: true));
        Assert.Null((await _store.GetAsync(key.Id))!.LastUsedAt);

        // Written by an instance of the previous version: on the record.
        await _redis.Db.HashSetAsync(_store.RecordKey(digest), KeyRecordCodec.LastUsedAt, 5_000);
        Assert.Equal(5_000, await LastUsedSeenAsync(key.Id, plaintext));

        // Written by a flush since: in the slot's sorted set, where the test's own view of the layout finds it.
        await _redis.Db.SortedSetAddAsync(_store.LastUsedKeyOf(key.Id), key.Id, 7_000);
        Assert.Equal(7_000, await _redis.LastUsedAsync(key.Id));
        Assert.Equal(7_000, await LastUsedSeenAsync(key.Id, plaintext));

        // The later of the two, whichever holds it.
        await _redis.Db.SortedSetAddAsync(_store.LastUsedKeyOf(key.Id), key.Id, 3_000);
        Assert.Equal(5_000, await LastUsedSeenAsync(key.Id, plaintext));

        // An admin write keeps it as read and stores none of it.
        var renamed = await _store.UpdateAsync(key.Id, k => k with { Name = "renamed" });
        Assert.Equal(5_000, renamed.After!.LastUsedAt!.Value.ToUnixTimeMilliseconds());
        Assert.Equal(5_000, (long)await _redis.Db.HashGetAsync(_store.RecordKey(digest), KeyRecordCodec.LastUsedAt));

        Assert.Equal(KeyWriteStatus.Written, (await _store.DeleteAsync(key.Id)).Status);
        Assert.Null(await _redis.LastUsedAsync(key.Id));
    }

    // The same value through each admin read: by id, on a list page, by hash (revocation by plaintext), and as a write's
    // before-state (every read must show the same, or the audit chain and the views would disagree).
    private async Task<long> LastUsedSeenAsync(string id, string plaintext)
    {
        var byId = (await _store.GetAsync(id))!.LastUsedAt!.Value.ToUnixTimeMilliseconds();
        var page = await _store.PageAsync(100, null, null);
        var listed = page.Keys.Single(k => k.Id == id).LastUsedAt!.Value.ToUnixTimeMilliseconds();
        var byHash = (await _store.FindForAdminAsync(KeyDigest.Compute(plaintext)))!.LastUsedAt!.Value.ToUnixTimeMilliseconds();
        Assert.Equal(byId, listed);
        Assert.Equal(byId, byHash);
        return byId;
    }
}
