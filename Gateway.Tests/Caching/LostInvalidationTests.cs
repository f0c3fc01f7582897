using Gateway.Keys;
using Gateway.Store;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace Gateway.Tests.Caching;

/// <summary>
/// A change that reaches Redis without its invalidation message (here: written straight to the record as the admin
/// write script writes it, the field and a version one higher, so nothing is published) is enforced once
/// <c>Cache:L1Ttl</c> has passed all the same, and not before: the README's "The key cache" section. The host's clock
/// is a fake one, so the test steps to either side of the TTL. The request just short of L1Ttl is in the refresh-ahead
/// window: it is served from memory and starts a check, which sees the version moved; either way the request at L1Ttl
/// must be refused.
/// </summary>
public sealed class LostInvalidationTests : IAsyncLifetime
{
    // Cache:L1Ttl's default: the real clock never comes near it during a test, so only the fake one can expire an entry.
    private static readonly TimeSpan L1Ttl = TimeSpan.FromSeconds(30);
    private readonly string _prefix = TestStore.UniquePrefix();
    private readonly FakeTimeProvider _time = FakeClock.StartingNow();
    private RecordingUpstream _upstream = null!;
    private GatewayHost _host = null!;

    public async Task InitializeAsync()
    {
        _upstream = await RecordingUpstream.StartAsync();
        _host = new GatewayHost(GatewayHost.WriteConfig(_upstream.Address), TestStore.Configuration, _prefix,
            configureServices: services => services.Use(_time)).Start();
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    [Fact]
    public async Task DisabledInRedisWithoutMessage_IsRefusedOnceL1TtlPasses()
    {
        var (key, _) = await _host.CreateKeyAsync(CacheProbe.EveryEndpoint("lost-disable"));
        Assert.True(await CacheProbe.PassesAsync(_host, key));

        // Every admin write moves the version (KeyStore.Writes.cs); refresh-ahead relies on it.
        var write = Database.CreateTransaction();
        _ = write.HashSetAsync(RecordKey(key), KeyRecordCodec.Enabled, 0);
        _ = write.HashIncrementAsync(RecordKey(key), KeyRecordCodec.Version);
        Assert.True(await write.ExecuteAsync());

        await AssertEnforcedAtL1TtlAsync(key, () => CacheProbe.RefusedAsync(_host, key, "key_disabled"));
    }

    [Fact]
    public async Task DeletedFromRedisWithoutMessage_IsRefusedOnceL1TtlPasses()
    {
        var (key, _) = await _host.CreateKeyAsync(CacheProbe.EveryEndpoint("lost-delete"));
        Assert.True(await CacheProbe.PassesAsync(_host, key));

        Assert.True(await Database.KeyDeleteAsync(RecordKey(key)));

        await AssertEnforcedAtL1TtlAsync(key, () => CacheProbe.RefusedAsync(_host, key, "invalid_key"));
    }

    [Fact]
    public async Task KeyInSteadyUse_IsCheckedAhead_AndNotReadAgainOnARequestsTime()
    {
        var (key, _) = await _host.CreateKeyAsync(CacheProbe.EveryEndpoint("steady"));
        var reads = CacheProbe.StoreReads(_host);
        var unchanged = CacheProbe.Refreshes(_host, "unchanged");
        Assert.True(await CacheProbe.PassesAsync(_host, key));
        Assert.Equal(reads + 1, CacheProbe.StoreReads(_host));

        // In the last eighth of L1Ttl (inside the default window, its last quarter): served, and checked in the background.
        _time.Advance(L1Ttl - L1Ttl / 8);
        Assert.True(await CacheProbe.PassesAsync(_host, key));
        await Eventually.TrueAsync(() => CacheProbe.Refreshes(_host, "unchanged") == unchanged + 1, "the check to renew the entry");

        // Past the first read's L1Ttl, no request waits on a store read for the key.
        _time.Advance(L1Ttl / 4);
        Assert.True(await CacheProbe.PassesAsync(_host, key));
        Assert.Equal(reads + 1, CacheProbe.StoreReads(_host));
    }

    private IDatabase Database => _host.Services.GetRequiredService<StoreConnection>().Database;

    private RedisKey RecordKey(string key) => $"{_prefix}key:{KeyDigest.Compute(key).ToHex()}";

    private async Task AssertEnforcedAtL1TtlAsync(string key, Func<Task<bool>> enforced)
    {
        // Just short of the refresh-ahead window (the last quarter of L1Ttl by default) the cached state still answers:
        // no message brings the change in. The read filed the entry for a check in its window, which may bring it in
        // from then on; at L1Ttl it is in, whether the check or a read on the request's time brought it.
        _time.Advance(L1Ttl - L1Ttl / 4 - TimeSpan.FromMilliseconds(1));
        Assert.True(await CacheProbe.PassesAsync(_host, key));

        _time.Advance(L1Ttl / 4 + TimeSpan.FromMilliseconds(1));
        Assert.True(await enforced());
    }
}
