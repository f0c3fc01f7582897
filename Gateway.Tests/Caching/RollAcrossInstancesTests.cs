using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Gateway.Caching;
using Gateway.Keys;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Caching;

/// <summary>Three gateway instances on one store, one key prefix and one fake clock, as three replicas.</summary>
public sealed class ThreeHostsFixture : IAsyncLifetime
{
    public FakeTimeProvider Time { get; } = FakeClock.StartingNow();

    public RecordingUpstream Upstream { get; private set; } = null!;

    public GatewayHost[] Hosts { get; private set; } = [];

    public async Task InitializeAsync()
    {
        Upstream = await RecordingUpstream.StartAsync();
        var config = GatewayHost.WriteConfig(Upstream.Address);
        var prefix = TestStore.UniquePrefix();
        // L1Ttl stays at its 30 s default (of the fake clock): an entry read before a roll would be served that long
        // unless the roll's invalidation replaced it, and one read after it must carry the moved deadline itself.
        Hosts = [.. Enumerable.Range(0, 3).Select(_ => new GatewayHost(config, TestStore.Configuration, prefix, configureServices: s => s.Use(Time)).Start())];
    }

    public async Task DisposeAsync()
    {
        foreach (var host in Hosts)
        {
            await host.DisposeAsync();
        }

        await Upstream.DisposeAsync();
    }
}

/// <summary>
/// A roll's grace across instances (contract section 8): both keys work on every instance until the old key's moved
/// <c>expiresAt</c>, and from that instant only the new one, on every instance, though each had the old key in L1.
/// </summary>
public sealed class RollAcrossInstancesTests(ThreeHostsFixture fixture) : IClassFixture<ThreeHostsFixture>
{
    private const string Path = "/graphql?query=%7Ba%7D";

    private GatewayHost[] Hosts => fixture.Hosts;

    [Fact]
    public async Task BothKeysWork_DuringTheGrace_OnlyTheNewOne_FromItsEnd_OnEveryInstance()
    {
        var (oldKey, oldId) = await Hosts[0].CreateKeyAsync(new { name = "grace", graphql = "read" });
        // Every instance holds the old key, as it was, in L1.
        await AssertAllAsync(oldKey, 200, null);

        // A grace shorter than L1Ttl: an entry read before the roll would still be fresh at its end, and so would one read
        // after it; only the deadline inside the entry can refuse the key then.
        var (newKey, graceEnd) = await RollAsync(Hosts[1], oldId, graceSeconds: 20);
        Assert.Equal(Millis(fixture.Time.GetUtcNow().AddSeconds(20)), graceEnd);
        // The roll's invalidation reaches every instance: none may keep the entry without the deadline.
        await EveryL1HoldsTheDeadlineOrNothingAsync(oldKey, graceEnd);

        await AssertAllAsync(oldKey, 200, null);
        await AssertAllAsync(newKey, 200, null);

        // One millisecond before the deadline both still work (entries now cached again, carrying the deadline)...
        fixture.Time.Advance(graceEnd - fixture.Time.GetUtcNow() - TimeSpan.FromMilliseconds(1));
        await AssertAllAsync(oldKey, 200, null);
        await AssertAllAsync(newKey, 200, null);

        // ...and at it, the old key is refused everywhere at once, though every instance holds it in L1, fresh.
        var digest = KeyDigest.Compute(oldKey);
        Assert.All(Hosts, h => Assert.True(h.Services.GetRequiredService<KeyCache>().TryLookupInMemory(digest, out _)));
        fixture.Time.Advance(TimeSpan.FromMilliseconds(1));
        await AssertAllAsync(oldKey, 403, "key_expired");
        await AssertAllAsync(newKey, 200, null);
    }

    [Fact]
    public async Task NoGrace_RefusesTheOldKey_OnEveryInstance_WithinOneSecond()
    {
        var (oldKey, oldId) = await Hosts[0].CreateKeyAsync(new { name = "now", graphql = "read" });
        await AssertAllAsync(oldKey, 200, null);

        var (newKey, graceEnd) = await RollAsync(Hosts[2], oldId, graceSeconds: 0);
        Assert.Equal(Millis(fixture.Time.GetUtcNow()), graceEnd);

        // The clock stands still: only the invalidation message can make each instance refuse it.
        var took = await Eventually.TimeUntilAsync(async () =>
        {
            var answers = await Task.WhenAll(Hosts.Select(h => h.SendWithKeyAsync(HttpMethod.Get, Path, oldKey)));
            return answers.All(a => a.Status == 403 && a.Code == "key_expired");
        }, "every instance to refuse the rolled key", TimeSpan.FromSeconds(1));
        Assert.True(took < TimeSpan.FromSeconds(1));
        await AssertAllAsync(newKey, 200, null);
    }

    [Fact]
    public async Task AnExpiredKey_IsNotRolled()
    {
        var (_, id) = await Hosts[0].CreateKeyAsync(new { name = "expiring", graphql = "read", expiresAt = fixture.Time.GetUtcNow().AddMinutes(1) });
        fixture.Time.Advance(TimeSpan.FromMinutes(1));

        using var response = await Hosts[0].Admin.PostAsJsonAsync($"/admin/keys/{id}/roll", new { graceSeconds = 60 });

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("key_not_active", (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["code"]);
    }

    // Records keep times in whole milliseconds (the deadline is the grace's end, truncated: never later).
    private static DateTimeOffset Millis(DateTimeOffset time) => DateTimeOffset.FromUnixTimeMilliseconds(time.ToUnixTimeMilliseconds());

    private async Task<(string Key, DateTimeOffset GraceEnd)> RollAsync(GatewayHost host, string id, int graceSeconds)
    {
        using var response = await host.Admin.PostAsJsonAsync($"/admin/keys/{id}/roll", new { graceSeconds });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        var old = JsonNode.Parse(await host.Admin.GetStringAsync($"/admin/keys/{id}"))!;
        return ((string)JsonNode.Parse(text)!["key"]!, DateTimeOffset.Parse((string)old["expiresAt"]!, CultureInfo.InvariantCulture));
    }

    private Task EveryL1HoldsTheDeadlineOrNothingAsync(string key, DateTimeOffset deadline)
    {
        var digest = KeyDigest.Compute(key);
        return Eventually.TrueAsync(
            () => Hosts.All(h => !h.Services.GetRequiredService<KeyCache>().TryLookupInMemory(digest, out var held) || held.Key?.ExpiresAt == deadline),
            "every instance to drop the old key's entry", TimeSpan.FromSeconds(1));
    }

    private async Task AssertAllAsync(string key, int status, string? code)
    {
        for (var i = 0; i < Hosts.Length; i++)
        {
            var answer = await Hosts[i].SendWithKeyAsync(HttpMethod.Get, Path, key);
            Assert.True(answer.Status == status && answer.Code == code, $"instance {i}: expected {status} {code}, got {answer}");
        }
    }
}
