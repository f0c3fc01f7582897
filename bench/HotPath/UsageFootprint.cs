using System.Globalization;
using Gateway.Configuration;
using Gateway.Keys;
using Gateway.Observability;
using Gateway.Usage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace HotPath;

/// <summary>
/// <c>-- --usage-footprint [rounds] [targets per key]</c>: bytes the usage counters hold per counter (README "Usage": the
/// <c>Usage:MaxPendingCounters</c> sizing). Per round, a fresh <see cref="UsageCounters"/> counts one request into each of
/// about <see cref="Counters"/> counters (keys x endpoints per key, 10 unless given; keys and targets made up front);
/// retained is <c>GC.GetTotalMemory(true)</c> after minus before, per counter (each counter, its dictionary
/// entry, its queue place, its key-day's share). Then one drain, the day's first (it walks every counter into a list
/// that grows by doubling): the bytes it allocates per counter, its list of <see cref="UsageDelta"/>s. No timing.
/// </summary>
internal static class UsageFootprint
{
    public const int Counters = 1_000_000;

    public static void Run(int rounds, int targetsPerKey)
    {
        var keys = Enumerable.Range(0, Counters / targetsPerKey)
            .Select(i => new ApiKey("key_" + i.ToString("D20", CultureInfo.InvariantCulture), "bench", KeyKind.Rpa, "rpa_bench", true, DateTimeOffset.UnixEpoch, null, null, KeyScopes.All))
            .ToArray();
        var targets = Enumerable.Range(0, targetsPerKey).Select(t => ScopeTarget.Endpoint("bench-ep" + t.ToString(CultureInfo.InvariantCulture))).ToArray();
        var options = Options.Create(new UsageOptions { MaxPendingCounters = 2 * Counters });
        Console.WriteLine(FormattableString.Invariant(
            $"UsageDelta: {System.Runtime.CompilerServices.Unsafe.SizeOf<UsageDelta>()} B (Unsafe.SizeOf); {keys.Length * targetsPerKey:N0} counters per round, {keys.Length:N0} keys x {targetsPerKey} endpoints"));
        var retained = new List<double>();
        var drained = new List<double>();
        for (var round = 0; round < rounds; round++)
        {
            var (held, drain) = Round(options, keys, targets);
            retained.Add(held);
            drained.Add(drain);
            Console.WriteLine(FormattableString.Invariant(
                $"round {round + 1}: retained {held:F1} B/counter, drain allocated {drain:F1} B/counter"));
        }

        Console.WriteLine(FormattableString.Invariant(
            $"median of {rounds}: retained {Median(retained):F1} B/counter, drain allocated {Median(drained):F1} B/counter"));
    }

    // Its own frame, not inlined, so nothing of a round is still reachable from the stack when the next one measures.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static (double Retained, double Drained) Round(IOptions<UsageOptions> options, ApiKey[] keys, ScopeTarget[] targets)
    {
        // Metrics of its own: the pending-counters gauge holds the counters, which would keep each round's alive.
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var metrics = new GatewayMetrics(services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        // The fresh counters are empty, but their dictionary, queue and key-day table exist: those count as before.
        var counters = new UsageCounters(options, TimeProvider.System, metrics);
        var before = GC.GetTotalMemory(forceFullCollection: true);
        foreach (var key in keys)
        {
            foreach (var target in targets)
            {
                counters.Record(key, target, allowed: true);
            }
        }

        var n = keys.Length * targets.Length;
        var retained = (double)(GC.GetTotalMemory(forceFullCollection: true) - before) / n;
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var deltas = counters.Drain();
        var drained = (double)(GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore) / n;
        if (deltas.Count != n)
        {
            throw new InvalidOperationException($"Expected {n} deltas, drained {deltas.Count}.");
        }

        GC.KeepAlive(counters);
        return (retained, drained);
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
}
