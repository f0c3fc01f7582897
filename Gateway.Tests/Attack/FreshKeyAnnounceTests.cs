using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gateway.Keys;
using Gateway.Tests.Caching;
using Gateway.Tests.Infrastructure;
using StackExchange.Redis;

namespace Gateway.Tests.Attack;

/// <summary>
/// SECURITY.md 25: since 1 Dec a created key and a roll's successor are not announced on <c>{prefix}invalidate</c> (no
/// instance can hold their fresh tokens); a legacy import and the roll of the old key still are. Two instances on one
/// store and one fake clock that stands still (nothing expires by itself), a subscriber of the test's own on the channel,
/// writes through B and requests through A: every state a write makes is served by A, and no message is missing.
/// </summary>
public sealed class FreshKeyAnnounceTests : IAsyncLifetime
{
    private readonly Microsoft.Extensions.Time.Testing.FakeTimeProvider _time = FakeClock.StartingNow();
    private readonly ConcurrentQueue<string> _heard = new();
    private readonly string _prefix = TestStore.UniquePrefix();
    private RecordingUpstream _upstream = null!;
    private GatewayHost _a = null!;
    private GatewayHost _b = null!;
    private ConnectionMultiplexer _listener = null!;

    public async Task InitializeAsync()
    {
        _upstream = await RecordingUpstream.StartAsync();
        var config = GatewayHost.WriteConfig(_upstream.Address);
        // A negative entry lasts a minute here, so only a message can clear one while the clock stands still.
        var settings = new Dictionary<string, string?> { ["Cache:NegativeTtl"] = "00:01:00" };
        _a = new GatewayHost(config, TestStore.Configuration, _prefix, settings, configureServices: s => s.Use(_time)).Start();
        _b = new GatewayHost(config, TestStore.Configuration, _prefix, settings, configureServices: s => s.Use(_time)).Start();
        _listener = await ConnectionMultiplexer.ConnectAsync(TestStore.Configuration);
        await _listener.GetSubscriber().SubscribeAsync(RedisChannel.Literal(_prefix + "invalidate"), (_, message) => _heard.Enqueue((string)message!));
    }

    public async Task DisposeAsync()
    {
        await _listener.DisposeAsync();
        await _a.DisposeAsync();
        await _b.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    [Fact]
    public async Task CreatesAndSuccessorsAreSilent_ImportsAndRollsAnnounced_EveryStateServedOnTheOtherInstance()
    {
        // A legacy token A was asked for before it existed: A remembers it as unknown, for a minute.
        var legacy = CacheProbe.NewLegacyToken();
        Assert.True(await CacheProbe.RefusedAsync(_a, legacy, "invalid_key"));

        // A key created through B: A never saw it, and serves it on its first request.
        var (key, id) = await _b.CreateKeyAsync(CacheProbe.EveryEndpoint("fresh"));
        Assert.True(await CacheProbe.PassesAsync(_a, key));

        // Rolled through B with no grace: the old key is refused on A once the roll's message arrives; the successor,
        // never announced, passes on A at its first request.
        using var roll = await _b.Admin.PostAsJsonAsync($"/admin/keys/{id}/roll", new { graceSeconds = 0 });
        Assert.Equal(HttpStatusCode.Created, roll.StatusCode);
        var successor = (await roll.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;
        Assert.True(await CacheProbe.PassesAsync(_a, successor));
        await Eventually.TrueAsync(() => CacheProbe.RefusedAsync(_a, key, "key_expired"), "the rolled key to be refused on A");
        var forwarded = _upstream.Count;
        Assert.True(await CacheProbe.RefusedAsync(_a, key, "key_expired"));

        // The legacy token imported through B: A's negative entry is dropped by the import's message.
        using (var imported = await CacheProbe.ImportLegacyAsync(_b, legacy))
        {
            Assert.Equal(HttpStatusCode.OK, imported.StatusCode);
        }

        await Eventually.TrueAsync(() => CacheProbe.PassesAsync(_a, legacy), "the imported key to pass on A");
        Assert.True(await CacheProbe.PassesAsync(_a, successor));

        // B publishes on one connection, in order: once the import's message is heard, the roll's was too. The create
        // and the successor published nothing; the old key's roll and the import one message each.
        var digest = (string token) => KeyDigest.Compute(token).ToHex();
        await Eventually.TrueAsync(() => Task.FromResult(_heard.Contains(digest(legacy))), "the import's message");
        Assert.Equal([digest(key), digest(legacy)], _heard.ToArray());

        // The rolled key's refusal never reached the upstream: after it, only the imported key and the successor did.
        Assert.Equal(forwarded + 2, _upstream.Count);
        Assert.All(_upstream.Received, r => Assert.Null(r.Header("Authorization")));
    }
}
