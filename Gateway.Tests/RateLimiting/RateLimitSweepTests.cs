using System.Diagnostics.Metrics;
using Gateway.Caching;
using Gateway.Keys;
using Gateway.Observability;
using Gateway.RateLimiting;
using Gateway.Store;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Usage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;
using Options = Microsoft.Extensions.Options.Options;

namespace Gateway.Tests.RateLimiting;

/// <summary>
/// The sweeper's give-back of unused lease tokens, through a relay that can swallow the store's replies (one server
/// only: on a cluster the client is redirected past the relay, so CI's cluster run leaves out the <c>ReplyLost</c> tests).
/// </summary>
public sealed class RateLimitSweepTests : IAsyncLifetime
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly FakeTimeProvider _time = FakeClock.StartingNow();
    private ReplyDroppingRelay _relay = null!;
    private GatewayMetrics _metrics = null!;
    private StoreConnection _connection = null!;
    private RateLimiter _limiter = null!;

    public Task InitializeAsync()
    {
        _relay = ReplyDroppingRelay.ForTestStore();
        _metrics = new GatewayMetrics(_services.GetRequiredService<IMeterFactory>());
        _connection = new StoreConnection(
            Options.Create(new RedisOptions { Configuration = $"127.0.0.1:{_relay.Port},asyncTimeout=5000,connectTimeout=2000", KeyPrefix = TestStore.UniquePrefix() }),
            Options.Create(new StoreOptions()),
            NullLoggerFactory.Instance);
        _limiter = new RateLimiter(new RateLimitStore(_connection), _time, _metrics, Options.Create(new CacheOptions()), NullLogger<RateLimiter>.Instance);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task GiveBack_ReplyLost_IsDropped_WithoutEnforcingLimitsLocally()
    {
        using var failures = new CounterReader(_services.GetRequiredService<IMeterFactory>(), "gateway.rate_limit.store_failures");
        var key = new ApiKey("sweep", "sweep", KeyKind.Rpa, "rpa_test", true, DateTimeOffset.UnixEpoch, null, null, KeyScopes.All)
        {
            RateLimits = [new RateLimitRule(1_000, 1)],
        };

        // Requests in one sub-bucket until the lease holds tokens no request used (a lease asks for twice the demand).
        var state = await LeaseWithSpareTokensAsync(key);
        // The bucket ends: the sweep gives the spare tokens back, and the store applies that but its reply never comes.
        _time.Advance(TimeSpan.FromMilliseconds(20));
        _relay.DropReplies();
        var sweep = _limiter.SweepAsync(TimeSpan.FromMinutes(2));
        Assert.False(sweep.IsCompleted);

        _time.Advance(new CacheOptions().StoreTimeout);
        await sweep;

        // One background call that timed out is counted, not taken for an outage: the limits stay shared. Before
        // 1 Dec it was, and this instance then enforced every limit alone while requests' own calls were answered.
        Assert.Equal(1, failures.Count());
        Assert.False(_limiter.InOutage);
        lock (state.Gate)
        {
            Assert.Empty(state.Returns);
        }

        // The relay cut the connections: once the client has reconnected, a request's call is answered from the store.
        _relay.CutAndRecover();
        await Eventually.TrueAsync(
            async () =>
            {
                try
                {
                    await _connection.Database.PingAsync();
                    return true;
                }
                catch (RedisException)
                {
                    return false;
                }
            },
            "the client reconnected through the relay");
        Assert.True((await _limiter.AcquireAsync(key)).Admitted);
        Assert.False(_limiter.InOutage);
    }

    private async Task<KeyLimitState> LeaseWithSpareTokensAsync(ApiKey key)
    {
        for (var i = 0; i < 50; i++)
        {
            Assert.True((await _limiter.AcquireAsync(key)).Admitted);
            var state = Assert.Single(_limiter.States);
            if (state.Prefetch is { } prefetch)
            {
                await prefetch;
            }

            lock (state.Gate)
            {
                if (state.Tokens > 0)
                {
                    return state;
                }
            }
        }

        throw new InvalidOperationException("No lease held a spare token after 50 requests.");
    }

    public async Task DisposeAsync()
    {
        _connection.Dispose();
        await _relay.DisposeAsync();
        _metrics.Dispose();
        await _services.DisposeAsync();
    }
}
