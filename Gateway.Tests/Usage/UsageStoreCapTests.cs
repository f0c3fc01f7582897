using Gateway.Configuration;
using Gateway.Keys;
using Gateway.Tests.Infrastructure;
using Gateway.Usage;

namespace Gateway.Tests.Usage;

/// <summary>
/// Usage:MaxTargetsPerKey held in Redis (README: "Usage"): each instance only knows its own targets, so the flush script
/// folds a target the hash does not have into <c>other</c> once the hash holds the cap, atomically and idempotently.
/// </summary>
public sealed class UsageStoreCapTests : IAsyncLifetime
{
    private const int Cap = 3;
    private readonly string _prefix = TestStore.UniquePrefix();
    private readonly int _today = UsageDays.Of(DateTimeOffset.UtcNow);
    private UsageParts _a = null!;
    private UsageParts _b = null!;
    private UsageRedis _redis = null!;

    public async Task InitializeAsync()
    {
        _a = new UsageParts(TestStore.Configuration, _prefix, TimeProvider.System, new UsageOptions { MaxTargetsPerKey = Cap });
        _b = new UsageParts(TestStore.Configuration, _prefix, TimeProvider.System, new UsageOptions { MaxTargetsPerKey = Cap });
        _redis = await UsageRedis.ConnectAsync(TestStore.Configuration, _prefix);
    }

    public Task DisposeAsync()
    {
        _a.Dispose();
        _b.Dispose();
        _redis.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task TwoInstances_EachUnderTheCap_TogetherPastIt_HashHoldsTheCapAndOtherHoldsTheRest()
    {
        using var moved = new CounterProbe(_b.MeterFactory, "gateway.usage.to_other");
        // Instance A counts ep1, ep2 and GraphQL; instance B counts ep1 (known to Redis by then), ep3, ep4.
        await _a.Store.ApplyAsync(new UsageBatch(1, [Delta("ep1", 5, 1), Delta("ep2", 2, 0), Delta(null, 0, 4)]));
        await _b.Store.ApplyAsync(new UsageBatch(1, [Delta("ep1", 1, 0), Delta("ep3", 3, 0), Delta("ep4", 0, 6)]));

        Assert.Equal(
            "{endpoint:ep1:allowed=6, endpoint:ep1:denied=1, endpoint:ep2:allowed=2, graphql:denied=4, other:allowed=3, other:denied=6}",
            await ShowAsync());
        Assert.Equal(9, moved.Value);

        // A target kept stays kept; one folded stays folded; 'other' itself is never a target against the cap.
        await _b.Store.ApplyAsync(new UsageBatch(2, [Delta("ep2", 1, 0), Delta("ep3", 1, 0), Delta(null, 1, 0, other: true)]));
        Assert.Equal(
            "{endpoint:ep1:allowed=6, endpoint:ep1:denied=1, endpoint:ep2:allowed=3, graphql:denied=4, other:allowed=5, other:denied=6}",
            await ShowAsync());
    }

    [Fact]
    public async Task RetriedBatch_ThatFoldedIntoOther_IsNotCountedTwice()
    {
        await _a.Store.ApplyAsync(new UsageBatch(1, [Delta("ep1", 1, 0), Delta("ep2", 1, 0), Delta("ep3", 1, 0)]));
        var folding = new UsageBatch(1, [Delta("ep4", 2, 0), Delta("ep5", 0, 3)]);

        // As after a lost reply: the same batch arrives again, also concurrently.
        await _b.Store.ApplyAsync(folding);
        await Task.WhenAll(_b.Store.ApplyAsync(folding), _b.Store.ApplyAsync(folding));

        Assert.Equal(
            "{endpoint:ep1:allowed=1, endpoint:ep2:allowed=1, endpoint:ep3:allowed=1, other:allowed=2, other:denied=3}",
            await ShowAsync());
    }

    [Fact]
    public async Task NewTargetsInOneBatch_PastTheCap_TheFirstFillItAndTheRestFold()
    {
        await _a.Store.ApplyAsync(new UsageBatch(1, [.. Enumerable.Range(1, 6).Select(i => Delta("ep" + i, i, 0))]));

        var counts = await _redis.CountsAsync("kc", [UsageDays.Format(_today)]);
        Assert.Equal(Cap, counts.Keys.Count(f => !f.StartsWith("other:", StringComparison.Ordinal)));
        Assert.Equal(21, counts.Values.Sum());
        Assert.Equal(21 - counts.Where(c => !c.Key.StartsWith("other:", StringComparison.Ordinal)).Sum(c => c.Value), counts["other:allowed"]);
    }

    private UsageDelta Delta(string? endpoint, long allowed, long denied, bool other = false) =>
        new(new UsageSlot("kc", _today, other ? null : endpoint, other), allowed, denied, 1);

    private async Task<string> ShowAsync() => UsageRedis.Show(await _redis.CountsAsync("kc", [UsageDays.Format(_today)]));
}
