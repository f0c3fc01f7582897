using System.Net;
using Gateway.Keys;
using Gateway.Tests.Caching;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Attack;

/// <summary>
/// SECURITY.md section 23: an instance started while Redis refuses connections (its first SUBSCRIBE fails, "Could not
/// subscribe to key invalidations yet") lets nothing through while the store is down, and once Redis is up it is
/// subscribed after all: a disable made through another instance reaches it by the invalidation message. Its clock is
/// a fake one that stands still once the key is cached, so the entry cannot end by <c>Cache:L1Ttl</c> (30 s) or by a
/// refresh-ahead check: only the message can refuse the key. Were the subscription lost with the failed first attempt,
/// the disabled key would pass for a whole L1Ttl (and for ever while the clock stands still).
/// </summary>
public sealed class StartWithStoreDownTests : IAsyncLifetime
{
    private readonly string _prefix = TestStore.UniquePrefix();
    private readonly FakeTimeProvider _time = FakeClock.StartingNow();
    private readonly RestartableStore _store = new();
    private RecordingUpstream _upstream = null!;
    private GatewayHost? _a;
    private GatewayHost? _b;

    public async Task InitializeAsync() => _upstream = await RecordingUpstream.StartAsync();

    public Task DisposeAsync() => AsyncDisposables.DisposeInOrderAsync(_a, _b, _upstream, _store);

    [Fact]
    public async Task StartedWithStoreDown_NothingPasses_ThenAnotherInstancesDisableArrivesByMessage()
    {
        var config = GatewayHost.WriteConfig(_upstream.Address);
        // The store is not started: its port refuses connections while A starts.
        _a = new GatewayHost(config, _store.Configuration, _prefix, configureServices: services => services.Use(_time)).Start();

        using (var ready = await _a.Admin.GetAsync("/readyz"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        }

        // A well-formed key nobody has seen, a legacy-looking token and no key at all: none passes while the store is down.
        Assert.Equal("store_unavailable", (await CacheProbe.SendAsync(_a, KeyFormat.Generate(), path: "/v2/ep1/down-new")).Code);
        Assert.Equal("store_unavailable", (await CacheProbe.SendAsync(_a, CacheProbe.NewLegacyToken(), path: "/v2/ep1/down-legacy")).Code);
        using (var anonymous = await _a.Proxy.GetAsync("/v2/ep1/down-none"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        await _store.StartAsync();
        _b = await new GatewayHost(config, _store.Configuration, _prefix).Start().WaitUntilReadyAsync();
        var (key, id) = await _b.CreateKeyAsync(CacheProbe.EveryEndpoint("start-down"));

        // A's read circuit may have opened on the failures above and counts its break on A's clock: step it until A reads
        // the new key. From then on the clock stands still.
        await Eventually.TrueAsync(async () =>
        {
            if (await CacheProbe.PassesAsync(_a, key))
            {
                return true;
            }

            _time.Advance(TimeSpan.FromSeconds(1));
            return false;
        }, "A to reach the store and pass the key B created", TimeSpan.FromSeconds(60));
        Assert.True(await CacheProbe.PassesAsync(_a, key));

        using (var disable = await CacheProbe.PatchAsync(_b, id, new { enabled = false }))
        {
            Assert.Equal(HttpStatusCode.OK, disable.StatusCode);
        }

        await Eventually.TrueAsync(
            async () => (await CacheProbe.SendAsync(_a, key)).Code == "key_disabled",
            "B's disable to reach A by its invalidation message (A's clock stands still)");
        Assert.Equal("key_disabled", (await CacheProbe.SendAsync(_a, key, path: "/v2/ep1/after-disable")).Code);

        Assert.DoesNotContain(_upstream.Received, r => r.Path.Contains("/down-", StringComparison.Ordinal) || r.Path.EndsWith("/after-disable", StringComparison.Ordinal));
    }
}
