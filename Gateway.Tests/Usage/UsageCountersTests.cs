using System.Diagnostics.Metrics;
using Gateway.Configuration;
using Gateway.Keys;
using Gateway.Observability;
using Gateway.Usage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Usage;

/// <summary>The request path's counters against the flusher's drain, without Redis: nothing lost, nothing twice.</summary>
public sealed class UsageCountersTests : IDisposable
{
    private const int Recorders = 4;
    private const int PerRecorder = 60_000;
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly GatewayMetrics _metrics;
    private readonly UsageCounters _counters;

    public UsageCountersTests()
    {
        _metrics = new GatewayMetrics(_services.GetRequiredService<IMeterFactory>());
        _counters = new UsageCounters(Options.Create(new UsageOptions()), TimeProvider.System, _metrics);
    }

    public void Dispose()
    {
        _metrics.Dispose();
        _services.Dispose();
    }

    [Fact]
    public void ADrainTakesTheCountersCountedSinceTheLastOne_AndOnlyThose()
    {
        var keys = Enumerable.Range(0, 1000).Select(i => UsageParts.Key($"k{i}")).ToArray();
        foreach (var key in keys)
        {
            _counters.Record(key, ScopeTarget.GraphQLApi, allowed: true);
        }

        Assert.Equal(1000, _counters.Drain().Count);
        Assert.Empty(_counters.Drain());

        // Counted again after the drain, twice each for some: queued once, taken once, with every count.
        for (var i = 0; i < keys.Length; i += 10)
        {
            _counters.Record(keys[i], ScopeTarget.GraphQLApi, allowed: true);
            _counters.Record(keys[i], ScopeTarget.GraphQLApi, allowed: false);
        }

        var deltas = _counters.Drain();
        Assert.Equal(100, deltas.Count);
        Assert.All(deltas, d => Assert.Equal((1L, 1L), (d.Allowed, d.Denied)));
        Assert.Equal(keys.Where((_, i) => i % 10 == 0).Select(k => k.Id).Order(StringComparer.Ordinal),
            deltas.Select(d => d.Slot.KeyId).Order(StringComparer.Ordinal));
        Assert.Empty(_counters.Drain());
    }

    [Fact]
    public async Task ManyCountersRecordedWhileDraining_EachCountIsDrainedExactlyOnce()
    {
        var keys = Enumerable.Range(0, 5000).Select(i => UsageParts.Key($"m{i}")).ToArray();
        var drained = new Dictionary<string, long>(StringComparer.Ordinal);
        var recording = Recorders;
        var drainer = Task.Run(() =>
        {
            while (true)
            {
                var last = Volatile.Read(ref recording) == 0;
                foreach (var delta in _counters.Drain())
                {
                    drained[delta.Slot.KeyId] = drained.GetValueOrDefault(delta.Slot.KeyId) + delta.Allowed;
                }

                if (last)
                {
                    return;
                }
            }
        });
        var recorders = Enumerable.Range(0, Recorders).Select(r => Task.Run(() =>
        {
            for (var i = 0; i < PerRecorder; i++)
            {
                _counters.Record(keys[(i * 7 + r) % keys.Length], ScopeTarget.GraphQLApi, allowed: true);
            }

            Interlocked.Decrement(ref recording);
        })).ToArray();
        await Task.WhenAll(recorders);
        await drainer;

        var expected = new Dictionary<string, long>(StringComparer.Ordinal);
        for (var r = 0; r < Recorders; r++)
        {
            for (var i = 0; i < PerRecorder; i++)
            {
                var id = keys[(i * 7 + r) % keys.Length].Id;
                expected[id] = expected.GetValueOrDefault(id) + 1;
            }
        }

        Assert.Equal(expected.OrderBy(e => e.Key, StringComparer.Ordinal), drained.OrderBy(e => e.Key, StringComparer.Ordinal));
    }

    [Fact]
    public async Task RecordWhileDraining_EveryIncrementIsDrainedExactlyOnce()
    {
        ApiKey[] keys = [UsageParts.Key("ka"), UsageParts.Key("kb")];
        ScopeTarget[] targets = [ScopeTarget.Endpoint("ep1"), ScopeTarget.GraphQLApi];
        var drained = new Dictionary<(string KeyId, string Target), (long Allowed, long Denied)>();
        var recording = Recorders;

        var drainer = Task.Run(() =>
        {
            // Drains as fast as it can while the recorders run, then once more after they stop.
            while (true)
            {
                var last = Volatile.Read(ref recording) == 0;
                foreach (var delta in _counters.Drain())
                {
                    var slot = (delta.Slot.KeyId, delta.Slot.Target);
                    var (allowed, denied) = drained.GetValueOrDefault(slot);
                    drained[slot] = (allowed + delta.Allowed, denied + delta.Denied);
                }

                if (last)
                {
                    return;
                }
            }
        });
        var recorders = Enumerable.Range(0, Recorders).Select(r => Task.Run(() =>
        {
            for (var i = 0; i < PerRecorder; i++)
            {
                var key = keys[i % 2];
                _counters.Record(key, targets[(i / 2) % 2], allowed: (i / 4) % 3 != 0);
            }

            Interlocked.Decrement(ref recording);
        })).ToArray();
        await Task.WhenAll(recorders);
        await drainer;

        // i cycles through 12 combinations: 4 of key and target, each allowed twice and denied once.
        var perCombination = Recorders * (PerRecorder / 12);
        foreach (var key in keys)
        {
            foreach (var target in targets)
            {
                Assert.Equal((2L * perCombination, 1L * perCombination), drained[(key.Id, target.ToString())]);
            }
        }

        Assert.Equal((long)Recorders * PerRecorder, drained.Values.Sum(c => c.Allowed + c.Denied));
    }
}
