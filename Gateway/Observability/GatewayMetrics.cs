using System.Diagnostics.Metrics;

namespace Gateway.Observability;

/// <summary>
/// The gateway's own instruments (meter <c>Gateway</c>), exported on <c>/metrics</c>. No label ever holds a key,
/// a hash or a prefix; request counts are labelled by decision and problem code only.
/// </summary>
public sealed class GatewayMetrics : IDisposable
{
    public const string MeterName = "Gateway";
    private readonly Meter _meter;
    private readonly Counter<long> _requests;
    private readonly Counter<long> _cacheLookups;
    private readonly Histogram<double> _storeReadSeconds;
    private readonly Counter<long> _usageDropped;
    private readonly Counter<long> _usageFlushFailures;
    private int _circuitState;

    public GatewayMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        _requests = _meter.CreateCounter<long>("gateway.requests", description: "Proxied requests judged, by decision and problem code.");
        _cacheLookups = _meter.CreateCounter<long>("gateway.key_cache.lookups", description: "Key lookups by tier (l1, l2) and result (hit, miss, error).");
        _storeReadSeconds = _meter.CreateHistogram<double>("gateway.store.read.duration", unit: "s", description: "Latency of key reads from the store.");
        _usageDropped = _meter.CreateCounter<long>("gateway.usage.dropped", description: "Counted requests dropped because Usage:MaxPendingCounters was reached.");
        _usageFlushFailures = _meter.CreateCounter<long>("gateway.usage.flush_failures", description: "Usage flush attempts that failed and will be retried.");
        _meter.CreateObservableGauge("gateway.store.circuit_state", () => Volatile.Read(ref _circuitState),
            description: "Store read circuit: 0 closed, 1 open, 2 half-open.");
    }

    /// <summary>Registers the gauge of usage counters held in memory.</summary>
    public void ObservePendingUsage(Func<int> pending) =>
        _meter.CreateObservableGauge("gateway.usage.pending_counters", pending, description: "Usage counters held in memory (flushed or not).");

    /// <summary>Registers the gauge of GraphQL body bytes held against <c>KeyScopes:MaxBufferedGraphQLBytes</c>.</summary>
    public void ObserveBufferedGraphQLBytes(Func<long> held) =>
        _meter.CreateObservableGauge("gateway.graphql.buffered", held, unit: "By", description: "GraphQL request body bytes held in memory.");

    public void Allowed() => _requests.Add(1, new KeyValuePair<string, object?>("decision", "allowed"), new KeyValuePair<string, object?>("code", "ok"));

    public void Refused(string code) => _requests.Add(1, new KeyValuePair<string, object?>("decision", "refused"), new KeyValuePair<string, object?>("code", code));

    public void CacheLookup(string tier, string result) =>
        _cacheLookups.Add(1, new KeyValuePair<string, object?>("tier", tier), new KeyValuePair<string, object?>("result", result));

    public void StoreRead(TimeSpan elapsed) => _storeReadSeconds.Record(elapsed.TotalSeconds);

    public void CircuitState(int state) => Volatile.Write(ref _circuitState, state);

    public void UsageDropped() => _usageDropped.Add(1);

    public void UsageFlushFailed() => _usageFlushFailures.Add(1);

    public void Dispose() => _meter.Dispose();
}
