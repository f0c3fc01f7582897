using System.Diagnostics.Metrics;
using BenchmarkDotNet.Attributes;
using Gateway.Configuration;
using Gateway.Observability;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using Yarp.ReverseProxy.Configuration;

namespace HotPath;

/// <summary>
/// The bookkeeping an allowed request with its key in L1 does besides judging it (issue 11): its route's
/// <c>KeyScope</c>, a <c>gateway.requests</c> count and a <c>gateway.key_cache.lookups</c> L1 hit. <c>Previous</c> is
/// the way it was (the metadata parsed, two <see cref="Counter{T}.Add(T, KeyValuePair{string, object?}, KeyValuePair{string, object?})"/>
/// through the OpenTelemetry SDK), kept here as the baseline; <c>Current</c> is <see cref="RouteKeyScopeCache"/> and
/// <see cref="GatewayMetrics"/>'s interlocked fields. Both with the SDK and the Prometheus exporter listening, as in the gateway.
/// </summary>
[MemoryDiagnoser]
public class RequestBookkeepingBenchmarks
{
    private ServiceProvider? _services;
    private MeterProvider? _meterProvider;
    private Meter? _previousMeter;
    private Counter<long> _previousRequests = null!;
    private Counter<long> _previousLookups = null!;
    private GatewayMetrics _metrics = null!;
    private readonly RouteKeyScopeCache _scopes = new();
    private readonly RouteConfig _route = new()
    {
        RouteId = "serverless",
        ClusterId = "serverless",
        Match = new RouteMatch { Path = "/v2/{endpointId}/{**operation}" },
        Metadata = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { [RouteKeyScopes.MetadataKey] = "Endpoint" },
    };

    [GlobalSetup]
    public void Setup()
    {
        _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        _meterProvider = Sdk.CreateMeterProviderBuilder().AddMeter(GatewayMetrics.MeterName, "Previous").AddPrometheusExporter().Build();
        _metrics = new GatewayMetrics(_services.GetRequiredService<IMeterFactory>());
        _previousMeter = new Meter("Previous");
        _previousRequests = _previousMeter.CreateCounter<long>("gateway.requests");
        _previousLookups = _previousMeter.CreateCounter<long>("gateway.key_cache.lookups");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _meterProvider?.Dispose();
        _previousMeter?.Dispose();
        _metrics.Dispose();
        _services?.Dispose();
    }

    [Benchmark(Baseline = true)]
    public RouteKeyScope Previous()
    {
        var scope = RouteKeyScopes.Parse(_route.Metadata);
        _previousLookups.Add(1, new KeyValuePair<string, object?>("tier", "l1"), new KeyValuePair<string, object?>("result", "hit"));
        _previousRequests.Add(1, new KeyValuePair<string, object?>("decision", "allowed"), new KeyValuePair<string, object?>("code", "ok"));
        return scope;
    }

    [Benchmark]
    public RouteKeyScope Current()
    {
        var scope = _scopes.Of(_route);
        _metrics.KeyLookupL1Hit();
        _metrics.Allowed();
        return scope;
    }
}
