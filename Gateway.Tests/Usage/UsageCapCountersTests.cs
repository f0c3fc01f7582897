using System.Diagnostics.Metrics;
using Gateway.Configuration;
using Gateway.Keys;
using Gateway.Observability;
using Gateway.Usage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Usage;

/// <summary>
/// The in-memory side of the README's "Usage" caps, without Redis: Usage:MaxTargetsPerKey per key and day, and the last
/// tenth of Usage:MaxPendingCounters kept for each key's <c>other</c>. Racing recorders never pass either bound.
/// </summary>
public sealed class UsageCapCountersTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly IMeterFactory _factory;
    private readonly GatewayMetrics _metrics;
    private readonly CounterProbe _toOther;
    private readonly CounterProbe _dropped;

    public UsageCapCountersTests()
    {
        var factory = _factory = _services.GetRequiredService<IMeterFactory>();
        _metrics = new GatewayMetrics(factory);
        _toOther = new CounterProbe(factory, "gateway.usage.to_other");
        _dropped = new CounterProbe(factory, "gateway.usage.dropped");
    }

    public void Dispose()
    {
        _toOther.Dispose();
        _dropped.Dispose();
        _metrics.Dispose();
        _services.Dispose();
    }

    [Fact]
    public void PastMaxTargetsPerKey_NewTargetsGoToOther_KnownTargetsStaySeparate_OtherKeysUnaffected()
    {
        var counters = Counters(new UsageOptions { MaxTargetsPerKey = 3 });
        var sprayer = UsageParts.Key("ks");
        var neighbour = UsageParts.Key("kn");
        counters.Record(sprayer, ScopeTarget.GraphQLApi, allowed: true);
        for (var i = 0; i < 10; i++)
        {
            counters.Record(sprayer, ScopeTarget.Endpoint("x" + i), allowed: false);
        }

        counters.Record(sprayer, ScopeTarget.Endpoint("x0"), allowed: true);
        counters.Record(sprayer, ScopeTarget.GraphQLApi, allowed: true);
        counters.Record(neighbour, ScopeTarget.Endpoint("x9"), allowed: true);

        Assert.Equal(
            "kn endpoint:x9 1/0, ks endpoint:x0 1/1, ks endpoint:x1 0/1, ks graphql 2/0, ks other 0/8",
            Show(counters.Drain()));
        Assert.Equal(8, _toOther.Value);
        Assert.Equal(0, _dropped.Value);
    }

    [Fact]
    public async Task RacingNewTargets_AtTheCap_ExactlyTheCapIsCountedSeparately_AndNothingIsLost()
    {
        const int Cap = 1000;
        const int Threads = 4;
        const int PerThread = 5000;
        var counters = Counters(new UsageOptions { MaxTargetsPerKey = Cap });
        var key = UsageParts.Key("kr");
        // Every thread records the same ids in its own order, so many adds of one new target race each other.
        var ids = Enumerable.Range(0, PerThread).Select(i => ScopeTarget.Endpoint("t" + i)).ToArray();
        using var start = new Barrier(Threads);
        await Task.WhenAll(Enumerable.Range(0, Threads).Select(t => Task.Run(() =>
        {
            start.SignalAndWait();
            for (var i = 0; i < PerThread; i++)
            {
                counters.Record(key, ids[(i * (t + 1)) % PerThread], allowed: true);
            }
        })));

        var deltas = counters.Drain();
        Assert.Equal(Cap, deltas.Count(d => !d.Slot.IsOther));
        Assert.Single(deltas, d => d.Slot.IsOther);
        Assert.Equal((long)Threads * PerThread, deltas.Sum(d => d.Allowed));
        Assert.Equal(Cap + 1, PendingCounters.Read(_factory));
        Assert.Equal(deltas.Single(d => d.Slot.IsOther).Allowed, _toOther.Value);
    }

    [Fact]
    public void NearMaxPendingCounters_NewTargetsGoToTheirKeysOther_DroppedOnlyWhenNoOtherFits()
    {
        // 20 counters: 18 for targets, the last 2 kept for 'other' counters.
        var counters = Counters(new UsageOptions { MaxPendingCounters = 20 });
        var victim = UsageParts.Key("kv");
        var sprayer = UsageParts.Key("ks");
        var late = UsageParts.Key("kl");
        counters.Record(victim, ScopeTarget.Endpoint("ep-a"), allowed: true);
        for (var i = 0; i < 100; i++)
        {
            counters.Record(sprayer, ScopeTarget.Endpoint("x" + i), allowed: false);
        }

        counters.Record(victim, ScopeTarget.Endpoint("ep-a"), allowed: true);
        counters.Record(victim, ScopeTarget.Endpoint("ep-b"), allowed: true);
        Assert.Equal(0, _dropped.Value);
        Assert.Equal(20, PendingCounters.Read(_factory));

        // A third key with no counter yet: not even an 'other' fits.
        counters.Record(late, ScopeTarget.Endpoint("ep-a"), allowed: true);
        Assert.Equal(1, _dropped.Value);
        Assert.Equal(20, PendingCounters.Read(_factory));

        var deltas = counters.Drain();
        Assert.Equal("kv endpoint:ep-a 2/0, kv other 1/0", Show(deltas.Where(d => d.Slot.KeyId == "kv")));
        Assert.Equal(17, deltas.Count(d => d.Slot.KeyId == "ks" && !d.Slot.IsOther));
        Assert.Equal(83, deltas.Single(d => d.Slot.KeyId == "ks" && d.Slot.IsOther).Denied);
        Assert.Equal(84, _toOther.Value);
    }

    [Fact]
    public void TheCapIsPerUtcDay_ANewDayCountsNewTargetsSeparatelyAgain()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 30, 23, 59, 59, TimeSpan.Zero));
        var counters = new UsageCounters(Options.Create(new UsageOptions { MaxTargetsPerKey = 1 }), time, _metrics);
        var key = UsageParts.Key("kd");
        counters.Record(key, ScopeTarget.Endpoint("ep1"), allowed: true);
        counters.Record(key, ScopeTarget.Endpoint("ep2"), allowed: true);
        time.Advance(TimeSpan.FromSeconds(2));
        counters.Record(key, ScopeTarget.Endpoint("ep2"), allowed: true);
        counters.Record(key, ScopeTarget.Endpoint("ep3"), allowed: true);

        Assert.Equal(
            "20261130 endpoint:ep1, 20261130 other, 20261201 endpoint:ep2, 20261201 other",
            string.Join(", ", counters.Drain().Select(d => $"{d.Slot.Day} {d.Slot.Target}").Order(StringComparer.Ordinal)));

        // Two days on, the idle counters and the days' caps are released: memory does not grow day after day.
        time.Advance(TimeSpan.FromDays(2));
        Assert.Equal(2, counters.KeyDayCount);
        counters.Drain();
        Assert.Equal(0, PendingCounters.Read(_factory));
        Assert.Equal(0, counters.KeyDayCount);
    }

    private UsageCounters Counters(UsageOptions options) => new(Options.Create(options), TimeProvider.System, _metrics);

    private static string Show(IEnumerable<UsageDelta> deltas) => string.Join(", ", deltas
        .OrderBy(d => d.Slot.KeyId, StringComparer.Ordinal).ThenBy(d => d.Slot.Target, StringComparer.Ordinal)
        .Select(d => $"{d.Slot.KeyId} {d.Slot.Target} {d.Allowed}/{d.Denied}"));
}
