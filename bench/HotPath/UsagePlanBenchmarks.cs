using BenchmarkDotNet.Attributes;
using Gateway.Configuration;
using Gateway.Keys;
using Gateway.Observability;
using Gateway.Usage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace HotPath;

/// <summary>
/// What planning one usage flush costs the gateway (<see cref="UsageWritePlan"/>): the deltas of 10,000 keys each used
/// once since the last flush, one target each, as with 100,000 keys in use at about 10,000 requests a second
/// (bench/coldpath.sh). On one server (no slots), as the coldpath bench runs. The deltas come from the gateway's own
/// counters, so they carry the per-key state a live flush has; each run plans them afresh, as each flush does.
/// </summary>
[MemoryDiagnoser]
public class UsagePlanBenchmarks
{
    private const int Keys = 10_000;
    private ServiceProvider? _services;
    private GatewayMetrics? _metrics;
    private List<UsageDelta> _deltas = [];
    private UsageLayout _layout = null!;
    private long _sequence;

    [GlobalSetup]
    public void Setup()
    {
        _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        _metrics = new GatewayMetrics(_services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        var counters = new UsageCounters(Options.Create(new UsageOptions()), TimeProvider.System, _metrics);
        var target = ScopeTarget.Endpoint("bench-ep");
        for (var i = 0; i < Keys; i++)
        {
            var id = "key_" + i.ToString("D20", System.Globalization.CultureInfo.InvariantCulture);
            var key = new ApiKey(id, "bench", KeyKind.Rpa, "rpa_bench", true, DateTimeOffset.UnixEpoch, null, null, KeyScopes.All);
            counters.Record(key, target, allowed: true);
        }

        _deltas = counters.Drain();
        if (_deltas.Count != Keys)
        {
            throw new InvalidOperationException($"Expected {Keys} deltas, drained {_deltas.Count}.");
        }

        _layout = new UsageLayout("gw:", static _ => "gw:lastused:{0}", 90, static _ => -1);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _metrics?.Dispose();
        _services?.Dispose();
    }

    /// <summary>One flush of 10,000 keys planned into script calls.</summary>
    [Benchmark]
    public int Plan10000Keys() =>
        new UsageWritePlan(_layout, static _ => -1, ++_sequence, 1000).Plan(_deltas).Count;
}
