using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.WebSockets;

/// <summary>Two instances on one store and prefix, both reading one clock that only the test moves.</summary>
public sealed class TwoGatewaysFakeClockFixture : TwoGatewaysFixture
{
    public TwoGatewaysFakeClockFixture()
        : this(FakeClock.StartingNow())
    {
    }

    private TwoGatewaysFakeClockFixture(FakeTimeProvider time)
        : base(time) => Time = time;

    public FakeTimeProvider Time { get; }
}

/// <summary>
/// An upgraded connection closes at its key's expiresAt, on every instance, and not a moment before; a roll's grace
/// ends the same way, since it moves the old key's expiresAt (README: "How a request is judged"). The clock is the
/// test's, so "at" is exact: the sockets answer one millisecond before and close without the clock moving again.
/// </summary>
public sealed class UpgradeExpiryTests(TwoGatewaysFakeClockFixture hosts) : IClassFixture<TwoGatewaysFakeClockFixture>
{
    private static readonly TimeSpan Closing = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Millisecond = TimeSpan.FromMilliseconds(1);

    [Fact]
    public async Task Expiry_ClosesEverySocket_AtExpiresAt()
    {
        var expiresAt = hosts.Time.GetUtcNow().AddSeconds(3);
        var (key, _) = await UpgradeSockets.CreateAsync(hosts, "expiry", expiresAt);
        using var sockets = await UpgradeSockets.OpenAllAsync(hosts, "expiry", key);

        await StillOpenJustBeforeAsync(sockets, expiresAt);
        hosts.Time.Advance(Millisecond);

        await UpgradeSockets.AllClosedAsync(sockets, Closing);
    }

    [Fact]
    public async Task ExpiresAtMovedSooner_ClosesEverySocketThen()
    {
        var (key, id) = await UpgradeSockets.CreateAsync(hosts, "moved", hosts.Time.GetUtcNow().AddHours(1));
        using var sockets = await UpgradeSockets.OpenAllAsync(hosts, "moved", key);
        var sooner = hosts.Time.GetUtcNow().AddSeconds(3);

        using (var patched = await hosts.A.Admin.PatchAsJsonAsync($"/admin/keys/{id}", new { expiresAt = sooner }))
        {
            Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        }

        // Both instances learn of the change by the invalidation message; each re-arms its timer from the new value.
        await BothHoldAsync(key, sooner);
        await StillOpenJustBeforeAsync(sockets, sooner);
        hosts.Time.Advance(Millisecond);

        await UpgradeSockets.AllClosedAsync(sockets, Closing);
    }

    [Fact]
    public async Task Roll_ClosesTheOldKeysSockets_AtTheGraceEnd_OnBothInstances_TheNewKeysStayOpen()
    {
        var (key, id) = await UpgradeSockets.CreateAsync(hosts, "rolled", expiresAt: null);
        using var sockets = await UpgradeSockets.OpenAllAsync(hosts, "rolled", key);

        using var rolled = await hosts.B.Admin.PostAsJsonAsync($"/admin/keys/{id}/roll", new { graceSeconds = 3 });
        Assert.Equal(HttpStatusCode.Created, rolled.StatusCode);
        var successor = (string)JsonNode.Parse(await rolled.Content.ReadAsStringAsync())!["key"]!;
        var old = JsonNode.Parse(await hosts.A.Admin.GetStringAsync($"/admin/keys/{id}"))!;
        var graceEnd = DateTimeOffset.Parse((string)old["expiresAt"]!, CultureInfo.InvariantCulture);
        Assert.Equal(hosts.Time.GetUtcNow().AddSeconds(3), graceEnd, TimeSpan.FromSeconds(1));
        using var successors = await UpgradeSockets.OpenAllAsync(hosts, "rolled-new", successor);

        await BothHoldAsync(key, graceEnd);
        await StillOpenJustBeforeAsync(sockets, graceEnd);
        hosts.Time.Advance(Millisecond);

        await UpgradeSockets.AllClosedAsync(sockets, Closing);
        await successors.AllOpenAsync("still");
    }

    /// <summary>
    /// Waits until both instances hold the key with its new <c>expiresAt</c> and read nothing from the store. The clock
    /// must not move while the recheck an invalidation starts is still reading: the store read's timeout runs on this
    /// clock too, so a jump of seconds would time it out and the recheck would close every socket as
    /// <c>store_unavailable</c> (CI saw it once under the full run's load).
    /// </summary>
    private async Task BothHoldAsync(string key, DateTimeOffset expiresAt)
    {
        var digest = Gateway.Keys.KeyDigest.Compute(key);
        foreach (var host in new[] { hosts.A, hosts.B })
        {
            var cache = host.Services.GetRequiredService<Gateway.Caching.KeyCache>();
            await Eventually.TrueAsync(
                () => cache.InFlight == 0 && cache.TryLookupInMemory(digest, out var held)
                    && held.Key?.ExpiresAt is { } heldUntil && (heldUntil - expiresAt).Duration() < TimeSpan.FromSeconds(1),
                "each instance to hold the changed key, with no store read in flight");
        }
    }

    /// <summary>Moves the clock to one millisecond before <paramref name="deadline"/> and proves every socket still answers.</summary>
    private async Task StillOpenJustBeforeAsync(UpgradeSockets sockets, DateTimeOffset deadline)
    {
        var step = deadline - Millisecond - hosts.Time.GetUtcNow();
        Assert.True(step > TimeSpan.Zero, "the deadline is still ahead of the test's clock");
        hosts.Time.Advance(step);
        await sockets.AllOpenAsync("before");
    }
}
