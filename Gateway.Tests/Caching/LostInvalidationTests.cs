using Gateway.Keys;
using Gateway.Store;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Gateway.Tests.Caching;

/// <summary>
/// A change that reaches Redis without its invalidation message (here: written straight to the record, so
/// nothing is published) is enforced within <c>Cache:L1Ttl</c> all the same (contract §7).
/// </summary>
public sealed class LostInvalidationTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan L1Ttl = TimeSpan.FromMilliseconds(300);

    // Room for one store read and one poll round on a busy machine; the wait itself is bounded by L1Ttl.
    private static readonly TimeSpan Margin = TimeSpan.FromMilliseconds(700);
    private readonly string _prefix = TestStore.UniquePrefix();
    private RecordingUpstream _upstream = null!;
    private GatewayHost _host = null!;

    public async Task InitializeAsync()
    {
        _upstream = await RecordingUpstream.StartAsync();
        _host = new GatewayHost(GatewayHost.WriteConfig(_upstream.Address), TestStore.Configuration, _prefix,
            new Dictionary<string, string?> { ["Cache:L1Ttl"] = "00:00:00.300" }).Start();
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    [Fact]
    public async Task DisabledInRedisWithoutMessage_IsRefusedWithinL1Ttl()
    {
        var (key, _) = await _host.CreateKeyAsync(CacheProbe.EveryEndpoint("lost-disable"));
        Assert.True(await CacheProbe.PassesAsync(_host, key));

        await Database.HashSetAsync(RecordKey(key), "enabled", 0);

        await AssertWithinL1TtlAsync("disable", () => CacheProbe.RefusedAsync(_host, key, "key_disabled"));
    }

    [Fact]
    public async Task DeletedFromRedisWithoutMessage_IsRefusedWithinL1Ttl()
    {
        var (key, _) = await _host.CreateKeyAsync(CacheProbe.EveryEndpoint("lost-delete"));
        Assert.True(await CacheProbe.PassesAsync(_host, key));

        Assert.True(await Database.KeyDeleteAsync(RecordKey(key)));

        await AssertWithinL1TtlAsync("delete", () => CacheProbe.RefusedAsync(_host, key, "invalid_key"));
    }

    private IDatabase Database => _host.Services.GetRequiredService<StoreConnection>().Database;

    private RedisKey RecordKey(string key) => $"{_prefix}key:{KeyDigest.Compute(key).ToHex()}";

    private async Task AssertWithinL1TtlAsync(string change, Func<Task<bool>> enforced)
    {
        var elapsed = await Eventually.TimeUntilAsync(enforced, $"the {change} to be enforced", TimeSpan.FromSeconds(10));
        output.WriteLine($"{change} without invalidation enforced after {elapsed.TotalMilliseconds:0} ms (L1Ttl {L1Ttl.TotalMilliseconds:0} ms)");
        Assert.True(elapsed < L1Ttl + Margin, $"{change} took {elapsed.TotalMilliseconds:0} ms");
    }
}
