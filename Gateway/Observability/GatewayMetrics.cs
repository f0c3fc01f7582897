using System.Diagnostics.Metrics;

namespace Gateway.Observability;

/// <summary>
/// The gateway's own instruments (meter <c>Gateway</c>), exported on <c>/metrics</c>. No label ever holds a key,
/// a hash or a prefix; request counts are labelled by decision and problem code only.
/// </summary>
public sealed partial class GatewayMetrics : IDisposable
{
    public const string MeterName = "Gateway";
    private readonly Meter _meter;
    private readonly Counter<long> _cacheRefreshes;
    private readonly Histogram<double> _storeReadSeconds;
    private readonly Counter<long> _usageDropped;
    private readonly Counter<long> _usageFlushFailures;
    private readonly UpDownCounter<long> _upgradesOpen;
    private readonly Counter<long> _upgradeCloses;
    private readonly Counter<long> _usageToOther;
    private readonly Counter<long> _rateLimitStoreFailures;
    private int _circuitState;

    public GatewayMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        _meter.CreateObservableCounter<long>("gateway.requests", ObserveRequests, description: "Proxied requests judged, by decision and problem code.");
        _meter.CreateObservableCounter<long>("gateway.key_cache.lookups", ObserveKeyLookups, description: "Key lookups by tier (l1, l2) and result (hit, miss, error).");
        _cacheRefreshes = _meter.CreateCounter<long>("gateway.key_cache.refreshes",
            description: "Background checks of in-use keys against the store before their L1Ttl ends (refresh-ahead), by result (unchanged, reloaded, removed, superseded, error); not counted as lookups.");
        _storeReadSeconds = _meter.CreateHistogram<double>("gateway.store.read.duration", unit: "s", description: "Latency of key reads from the store that a request waited for (refreshes not included).");
        _usageDropped = _meter.CreateCounter<long>("gateway.usage.dropped", description: "Counted requests dropped because Usage:MaxPendingCounters was reached, even for the key's other target.");
        _usageToOther = _meter.CreateCounter<long>("gateway.usage.to_other",
            description: "Counted requests that went to their key's other target instead of their own, by reason (max_targets_per_key, max_targets_per_key_store, max_pending_counters).");
        _usageFlushFailures = _meter.CreateCounter<long>("gateway.usage.flush_failures", description: "Usage flush attempts that failed and will be retried.");
        _upgradesOpen = _meter.CreateUpDownCounter<long>("gateway.upgrades.open", description: "Upgraded connections open now, by route kind (endpoint tunnel, graphql relay).");
        _upgradeCloses = _meter.CreateCounter<long>("gateway.upgrades.closes", description: "Upgraded connections ended, by route kind and reason (ended, key_disabled, scope_denied, ...).");
        _meter.CreateObservableCounter<long>("gateway.graphql.document_cache.lookups", ObserveDocumentLookups,
            description: "GraphQL documents looked up among those accepted before, by result (hit, miss).");
        _rateLimitStoreFailures = _meter.CreateCounter<long>("gateway.rate_limit.store_failures",
            description: "Rate-limit calls to the store that failed; limits were then enforced by each instance alone.");
        _meter.CreateObservableGauge("gateway.store.circuit_state", () => Volatile.Read(ref _circuitState),
            description: "Store read circuit: 0 closed, 1 open, 2 half-open.");
    }

    /// <summary>Registers the gauge of usage counters held in memory.</summary>
    public void ObservePendingUsage(Func<int> pending) =>
        _meter.CreateObservableGauge("gateway.usage.pending_counters", pending, description: "Usage counters held in memory (flushed or not).");

    /// <summary>Registers the count of admin writes that found their key changed since they read it, and were retried.</summary>
    public void ObserveAdminWriteConflicts(Func<long> conflicts) =>
        _meter.CreateObservableCounter("gateway.admin.write_conflicts", conflicts, description: "Admin writes that found the key changed since they read it, and were retried.");

    /// <summary>Registers the count of stored key changes whose invalidation message could not be published.</summary>
    public void ObserveInvalidationPublishFailures(Func<long> failures) =>
        _meter.CreateObservableCounter("gateway.store.invalidation_publish_failures", failures, description: "Key changes stored whose invalidation message could not be published; instances enforce them within Cache:L1Ttl.");

    /// <summary>Registers the gauge of GraphQL body bytes held against <c>KeyScopes:MaxBufferedGraphQLBytes</c>.</summary>
    public void ObserveBufferedGraphQLBytes(Func<long> held) =>
        _meter.CreateObservableGauge("gateway.graphql.buffered", held, unit: "By", description: "GraphQL request body bytes held in memory.");

    /// <summary>Registers the gauge that is 1 while rate limits are enforced per instance because the store is unreachable.</summary>
    public void ObserveRateLimitOutage(Func<int> outage) =>
        _meter.CreateObservableGauge("gateway.rate_limit.local_only", outage,
            description: "1 while the store is unreachable and each instance enforces every rate limit on its own, else 0.");

    /// <summary>Registers the limiter's store calls and the requests that waited for one (a limited key under its limit should make neither often).</summary>
    public void ObserveRateLimitCalls(Func<long> calls, Func<long> waits)
    {
        _meter.CreateObservableCounter("gateway.rate_limit.store_calls", calls,
            description: "Lease calls the rate limiter made to the store: requests', prefetches' and the sweeper's.");
        _meter.CreateObservableCounter("gateway.rate_limit.waits", waits,
            description: "Requests of limited keys that found no lease in memory and waited for a store call.");
    }

    public void RateLimitStoreFailed() => _rateLimitStoreFailures.Add(1);

    public void CacheRefresh(string result) => _cacheRefreshes.Add(1, new KeyValuePair<string, object?>("result", result));

    public void StoreRead(TimeSpan elapsed) => _storeReadSeconds.Record(elapsed.TotalSeconds);

    public void CircuitState(int state) => Volatile.Write(ref _circuitState, state);

    public void UsageDropped() => _usageDropped.Add(1);

    public void UsageFlushFailed() => _usageFlushFailures.Add(1);

    public void UpgradeOpened(string kind) => _upgradesOpen.Add(1, new KeyValuePair<string, object?>("kind", kind));

    public void UpgradeEnded(string kind) => _upgradesOpen.Add(-1, new KeyValuePair<string, object?>("kind", kind));

    public void UpgradeClosed(string kind, string reason) =>
        _upgradeCloses.Add(1, new KeyValuePair<string, object?>("kind", kind), new KeyValuePair<string, object?>("reason", reason));

    /// <summary>Requests counted under their key's <c>other</c> target; <paramref name="reason"/> is one of the constants of <c>UsageFold</c>.</summary>
    public void UsageToOther(string reason, long requests) => _usageToOther.Add(requests, new KeyValuePair<string, object?>("reason", reason));

    public void Dispose() => _meter.Dispose();
}
