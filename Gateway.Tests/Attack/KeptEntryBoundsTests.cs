using System.Net;
using System.Net.Http.Json;
using Gateway.Caching;
using Gateway.Tests.Caching;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Attack;

/// <summary>
/// SECURITY.md 24: the refresh-ahead's kept entries (7c65ce3, 554df3e) attacked at their worst moments. Every entry a
/// read makes is filed for one more check (HMGET of version and id) in its window even if no request uses it again; the
/// bounds must still count from when the check that last confirmed the entry began, and a check that fails must give
/// nothing. Live (two Release processes, invalidations refused by a Redis ACL, Redis stopped and killed) the bounds held;
/// these tests pin the worst case of each on a fake clock with a real store and real hosts:
/// <list type="bullet">
/// <item>an admin write through another instance lands just after a kept check renewed an idle entry, and no message
/// reaches this instance: it must refuse at <c>L1Ttl</c> from that check's start, with no request in between;</item>
/// <item>the store is down when a kept entry's check comes: the check fails, and the key works from memory until
/// <c>L1Ttl</c> + <c>StaleIfErrorTtl</c> from its read, not from the failed check, then 503.</item>
/// </list>
/// A mutation that extends a kept entry from its old freshness instead of from the check, or on a failed check, fails
/// these; so does one that stops filing a read's entry (the kept check never comes).
/// </summary>
public sealed class KeptEntryBoundsTests : IAsyncLifetime
{
    // Cache:L1Ttl's default; the refresh-ahead window is its last quarter.
    private static readonly TimeSpan L1Ttl = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StaleIfErrorTtl = TimeSpan.FromMinutes(5);
    private readonly string _prefix = TestStore.UniquePrefix();
    private readonly FakeTimeProvider _time = FakeClock.StartingNow();
    private RecordingUpstream _upstream = null!;
    private GatewayHost? _a;
    private GatewayHost? _b;
    private RestartableStore? _store;

    public async Task InitializeAsync() => _upstream = await RecordingUpstream.StartAsync();

    public Task DisposeAsync() => AsyncDisposables.DisposeInOrderAsync(_a, _b, _upstream, _store);

    [Theory]
    [InlineData("disable")]
    [InlineData("delete")]
    [InlineData("scope")]
    [InlineData("allowedIps")]
    [InlineData("revoke")]
    public async Task AWriteJustAfterAnIdleEntrysKeptCheck_NoMessage_IsRefusedAtL1TtlFromTheCheck(string change)
    {
        var config = GatewayHost.WriteConfig(_upstream.Address);
        // A hears no invalidation (as an instance whose Redis user may not use the channel, SECURITY.md 23): only its
        // entry's own bounds can bring the write in. Its clock is the test's.
        _a = await new GatewayHost(config, TestStore.Configuration, _prefix, configureServices: services =>
        {
            services.Use(_time);
            services.Remove(services.Single(d => d.ImplementationType == typeof(InvalidationSubscriber)));
        }).Start().WaitUntilReadyAsync();
        _b = await new GatewayHost(config, TestStore.Configuration, _prefix).Start().WaitUntilReadyAsync();
        var (key, id) = await _b.CreateKeyAsync(new { name = "kept", endpoints = new Dictionary<string, string> { ["ep1"] = "readwrite" } });

        var reads = CacheProbe.StoreReads(_a);
        var unchanged = CacheProbe.Refreshes(_a, "unchanged");
        Assert.True(await CacheProbe.PassesAsync(_a, key));
        Assert.Equal(reads + 1, CacheProbe.StoreReads(_a));

        // No request uses the key again. Its window opens at three quarters of L1Ttl; the sweep checks the read's entry
        // (kept) and renews it from when the check began: now, since the fake clock stands still while it runs.
        _time.Advance(L1Ttl - L1Ttl / 4 + TimeSpan.FromSeconds(1));
        await Eventually.TrueAsync(() => CacheProbe.Refreshes(_a, "unchanged") == unchanged + 1, "the kept entry's check to renew it");
        Assert.Equal(reads + 1, CacheProbe.StoreReads(_a));

        // The worst moment for the admin: just after the check. B publishes; A hears nothing.
        using (var write = await WriteAsync(_b, change, id, key))
        {
            Assert.True(write.IsSuccessStatusCode, $"{change}: {write.StatusCode}");
        }

        // Still no request on A until L1Ttl from the check's start: then it must be refused, and the upstream never sees it.
        _time.Advance(L1Ttl);
        var answer = await CacheProbe.SendAsync(_a, key, path: "/v2/ep1/after-write");
        Assert.Equal(ExpectedCode(change), answer.Code);
        Assert.DoesNotContain(_upstream.Received, r => r.Path.EndsWith("/after-write", StringComparison.Ordinal));
    }

    [Fact]
    public async Task StoreDownWhenAKeptEntrysCheckComes_TheFailedCheckGivesNothing_StaleIfErrorCountsFromTheRead()
    {
        _store = new RestartableStore();
        await _store.StartAsync();
        _a = await new GatewayHost(GatewayHost.WriteConfig(_upstream.Address), _store.Configuration, _prefix,
            configureServices: services => services.Use(_time)).Start().WaitUntilReadyAsync();
        var (key, _) = await _a.CreateKeyAsync(CacheProbe.EveryEndpoint("kept-down"));

        // The read at t0: the entry is fresh until t0 + L1Ttl and filed for a check in its window.
        var errors = CacheProbe.Refreshes(_a, "error");
        Assert.True(await CacheProbe.PassesAsync(_a, key));
        await _store.StopAsync();

        // The kept check comes with the store down, and fails.
        _time.Advance(L1Ttl - L1Ttl / 4 + TimeSpan.FromSeconds(1));
        await Eventually.TrueAsync(() => CacheProbe.Refreshes(_a, "error") == errors + 1, "the kept entry's check to fail", TimeSpan.FromSeconds(30));
        Assert.Equal(0, CacheProbe.Refreshes(_a, "unchanged"));

        // Stale-if-error from the read's freshness: the key still works just short of t0 + L1Ttl + StaleIfErrorTtl ...
        _time.Advance(L1Ttl / 4 - TimeSpan.FromSeconds(1) + StaleIfErrorTtl - TimeSpan.FromMilliseconds(1));
        Assert.Equal(HttpStatusCode.OK, (await CacheProbe.SendAsync(_a, key, path: "/v2/ep1/stale")).Status);

        // ... and not at it: a failed check that renewed the entry would keep it working for another 23 s.
        _time.Advance(TimeSpan.FromMilliseconds(1));
        var answer = await CacheProbe.SendAsync(_a, key, path: "/v2/ep1/past-stale");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.Status);
        Assert.Equal("store_unavailable", answer.Code);
        Assert.DoesNotContain(_upstream.Received, r => r.Path.EndsWith("/past-stale", StringComparison.Ordinal));
    }

    private static Task<HttpResponseMessage> WriteAsync(GatewayHost host, string change, string id, string key) => change switch
    {
        "disable" => CacheProbe.PatchAsync(host, id, new { enabled = false }),
        "delete" => host.Admin.DeleteAsync($"/admin/keys/{id}"),
        "scope" => CacheProbe.PatchAsync(host, id, new { endpoints = new Dictionary<string, string> { ["ep2"] = "readwrite" } }),
        "allowedIps" => CacheProbe.PatchAsync(host, id, new { allowedIps = new[] { "10.0.0.0/8" } }),
        "revoke" => host.Admin.PostAsJsonAsync("/admin/keys/revoke", new { keys = new[] { key } }),
        _ => throw new ArgumentOutOfRangeException(nameof(change)),
    };

    private static string ExpectedCode(string change) => change switch
    {
        "disable" or "revoke" => "key_disabled",
        "delete" => "invalid_key",
        "scope" => "scope_denied",
        "allowedIps" => "ip_not_allowed",
        _ => throw new ArgumentOutOfRangeException(nameof(change)),
    };
}
