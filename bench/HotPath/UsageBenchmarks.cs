using BenchmarkDotNet.Attributes;
using Gateway.Configuration;
using Gateway.Keys;
using Gateway.Observability;
using Gateway.Usage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace HotPath;

/// <summary>
/// What counting a judged request costs on the request path (<see cref="UsageCounters.Record"/>): a target already
/// counted (every request of a well-behaved key), and a new target of a key at its <c>Usage:MaxTargetsPerKey</c>
/// cap (every request of a key spraying endpoint ids), which goes to the key's <c>other</c> counter.
/// </summary>
[MemoryDiagnoser]
public class UsageBenchmarks
{
    private const int Cap = 1000;
    private readonly ApiKey _key = new("key_bench", "bench", KeyKind.Rpa, "rpa_bench", true, DateTimeOffset.UnixEpoch, null, null, KeyScopes.All);
    private readonly ScopeTarget _target = ScopeTarget.Endpoint("abc123");
    private ScopeTarget[] _spray = [];
    private int _next;
    private ServiceProvider? _services;
    private MeterProvider? _meterProvider;
    private GatewayMetrics? _metrics;
    private UsageCounters _counters = null!;

    /// <summary>Whether the OpenTelemetry SDK listens to the gateway's meter, as in the gateway.</summary>
    [Params(false, true)]
    public bool Metrics { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        if (Metrics)
        {
            _meterProvider = Sdk.CreateMeterProviderBuilder().AddMeter(GatewayMetrics.MeterName).AddPrometheusExporter().Build();
        }

        _metrics = new GatewayMetrics(_services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        _counters = new UsageCounters(Options.Create(new UsageOptions()), TimeProvider.System, _metrics);
        // The key reaches its cap (the known target among its first); the ids sprayed afterwards are created up front,
        // as a request's path string is before the count.
        _counters.Record(_key, _target, allowed: true);
        for (var i = 1; i < Cap; i++)
        {
            _counters.Record(_key, ScopeTarget.Endpoint("seen-" + i), allowed: false);
        }

        _spray = Enumerable.Range(0, 4096).Select(i => ScopeTarget.Endpoint("spray-" + i)).ToArray();
        RecordPastCap();
        // Every counter has a count by now, so the drain lists each one (and keeps them: only idle past days go).
        var counted = _counters.Drain().Count;
        if (counted != Cap + 1)
        {
            throw new InvalidOperationException($"Expected {Cap} targets and 'other', found {counted} counters.");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _metrics?.Dispose();
        _meterProvider?.Dispose();
        _services?.Dispose();
    }

    /// <summary>A request for a target the key already has a counter for today.</summary>
    [Benchmark(Baseline = true)]
    public void RecordKnownTarget() => _counters.Record(_key, _target, allowed: true);

    /// <summary>A request for a target the key has not counted today, past its cap: counted under <c>other</c>.</summary>
    [Benchmark]
    public void RecordPastCap() => _counters.Record(_key, _spray[_next++ & (4096 - 1)], allowed: false);
}
