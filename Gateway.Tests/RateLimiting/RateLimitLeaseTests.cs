using System.Diagnostics.Metrics;
using Gateway.Caching;
using Gateway.Keys;
using Gateway.Observability;
using Gateway.RateLimiting;
using Gateway.Store;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Options = Microsoft.Extensions.Options.Options;

namespace Gateway.Tests.RateLimiting;

/// <summary>
/// What a limited key costs (issue 13): the limiter built by hand on the real store and a fake clock, its store calls
/// counted. A key under its limit is admitted from memory with one lease call per sub-bucket, made before the bucket
/// starts; its state (in memory and in Redis) stays the same size however long it is used, with pauses or without.
/// </summary>
public sealed class RateLimitLeaseTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly GatewayMetrics _metrics;
    private readonly StoreConnection _connection;
    private readonly FakeTimeProvider _time = FakeClock.StartingNow();
    private readonly RateLimitStore _store;
    private readonly RateLimiter _limiter;

    public RateLimitLeaseTests()
    {
        _metrics = new GatewayMetrics(_services.GetRequiredService<IMeterFactory>());
        _connection = TestStore.Connect();
        _store = new RateLimitStore(_connection);
        _limiter = new RateLimiter(_store, _time, _metrics, Options.Create(new CacheOptions()), NullLogger<RateLimiter>.Instance);
    }

    [Fact]
    public async Task SteadyDemandUnderTheLimit_OneCallPerBucket_EveryRequestAnsweredFromMemory()
    {
        var key = Key("steady", new RateLimitRule(1_000_000, 1));
        const int Buckets = 300; // three 1 s windows of 10 ms sub-buckets
        const int PerBucket = 20;
        const int Ramp = 3;
        var waited = 0;
        for (var bucket = 0; bucket < Buckets; bucket++)
        {
            for (var i = 0; i < PerBucket; i++)
            {
                var pending = _limiter.AcquireAsync(key);
                // Past the first buckets (the lease grows from 1 to the demand) no request waits on Redis: its bucket's
                // lease was taken before the bucket began.
                waited += bucket >= Ramp && !pending.IsCompleted ? 1 : 0;
                Assert.True((await pending).Admitted);
            }

            await PrefetchDoneAsync();
            _time.Advance(TimeSpan.FromMilliseconds(10));
        }

        Assert.Equal(0, waited);
        // One prefetch per bucket, and a few more calls while the lease grows to the demand.
        Assert.InRange(_store.Calls, Buckets - 1, Buckets + 10);
    }

    [Fact]
    public async Task UsedOnAndOffForManyWindows_StateStaysBounded()
    {
        var key = Key("on-and-off", new RateLimitRule(1_000_000, 1));
        var hash = _store.HashKey(key.Id);
        long most = 0;
        // 30 rounds of demand over 40 sub-buckets, then a pause of 2 s (two spans): before the prune, every pause left
        // the fields of the last round behind (HDEL reached only the 104 buckets before the current one).
        for (var round = 0; round < 30; round++)
        {
            for (var bucket = 0; bucket < 40; bucket++)
            {
                for (var i = 0; i < 5; i++)
                {
                    Assert.True((await _limiter.AcquireAsync(key)).Admitted);
                }

                await PrefetchDoneAsync();
                _time.Advance(TimeSpan.FromMilliseconds(10));
                most = Math.Max(most, await _connection.Database.HashLengthAsync(hash));
            }

            _time.Advance(TimeSpan.FromSeconds(2));
        }

        Assert.InRange(most, 40, RateLimitStore.PruneAbove);
        var state = Assert.Single(_limiter.States);
        Assert.InRange(state.Returns.Count, 0, 2);
    }

    [Fact]
    public async Task LateCall_IsChargedWhereItSeesTheNewestGrant()
    {
        var rules = new[] { new RateLimitRule(10, 1) };
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var newest = await _store.LeaseAsync("late", rules, now + 100, 6, []);
        // A script charged 100 ms (10 buckets) before the newest grant: counted in the bucket 2 before it, whose
        // 2 buckets ahead include that grant, so the two together still fit the limit.
        var late = await _store.LeaseAsync("late", rules, now, 10, []);

        Assert.Equal(6, newest.Granted);
        Assert.Equal(newest.Buckets[0] - SubBuckets.Ahead, late.Buckets[0]);
        Assert.Equal(4, late.Granted);
    }

    public void Dispose()
    {
        _metrics.Dispose();
        _connection.Dispose();
        _services.Dispose();
    }

    private static ApiKey Key(string id, params RateLimitRule[] rules) =>
        new(id, id, KeyKind.Rpa, "rpa_test", true, DateTimeOffset.UnixEpoch, null, null, KeyScopes.All) { RateLimits = rules };

    /// <summary>The fake clock moves only once the key's prefetch answered, as a real bucket lasts longer than a round trip.</summary>
    private async Task PrefetchDoneAsync()
    {
        foreach (var state in _limiter.States)
        {
            if (state.Prefetch is { } prefetch)
            {
                await prefetch;
            }
        }
    }
}
