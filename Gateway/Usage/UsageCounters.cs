using System.Collections.Concurrent;
using Gateway.Configuration;
using Gateway.Keys;
using Gateway.Observability;
using Microsoft.Extensions.Options;

namespace Gateway.Usage;

/// <summary>One counter's address: a key, a UTC day, a target (an endpoint id, or null for GraphQL).</summary>
internal readonly record struct UsageSlot(string KeyId, int Day, string? EndpointId)
{
    public string Target => EndpointId is null ? ScopeTarget.GraphQLName : ScopeTarget.EndpointPrefix + EndpointId;
}

/// <summary>Counts of one slot not yet written to Redis, changed only with interlocked operations.</summary>
internal sealed class PendingCount(KeyDigest digest)
{
    public long Allowed;
    public long Denied;
    public long LastUsedUnixMs;

    public KeyDigest Digest { get; } = digest;
}

/// <summary>
/// The request path's side of usage counting: increments in-memory aggregates, with no queue, no await and
/// no Redis call. The flusher takes the deltas out with interlocked exchanges, so nothing is counted twice or lost.
/// </summary>
internal sealed class UsageCounters : IUsageRecorder
{
    private readonly ConcurrentDictionary<UsageSlot, PendingCount> _slots = new();
    private readonly int _maxSlots;
    private readonly TimeProvider _time;
    private readonly GatewayMetrics _metrics;

    public UsageCounters(IOptions<UsageOptions> options, TimeProvider time, GatewayMetrics metrics)
    {
        _maxSlots = options.Value.MaxPendingCounters;
        _time = time;
        _metrics = metrics;
        metrics.ObservePendingUsage(() => _slots.Count);
    }

    public int SlotCount => _slots.Count;

    public void Record(ApiKey key, KeyDigest digest, ScopeTarget target, bool allowed)
    {
        var now = _time.GetUtcNow();
        var slot = new UsageSlot(key.Id, UsageDays.Of(now), target.IsGraphQL ? null : target.EndpointId);
        if (!_slots.TryGetValue(slot, out var count))
        {
            if (_slots.Count >= _maxSlots)
            {
                // Bounded memory over completeness: the request is served, the loss is counted and visible.
                _metrics.UsageDropped();
                return;
            }

            count = _slots.GetOrAdd(slot, static (_, d) => new PendingCount(d), digest);
        }

        Interlocked.Increment(ref allowed ? ref count.Allowed : ref count.Denied);
        // Last writer wins within one flush interval, which is the granularity the contract promises.
        Volatile.Write(ref count.LastUsedUnixMs, now.ToUnixTimeMilliseconds());
    }

    /// <summary>Takes every pending delta out of memory; slots of past days that stayed idle are released.</summary>
    public List<UsageDelta> Drain()
    {
        var today = UsageDays.Of(_time.GetUtcNow());
        var deltas = new List<UsageDelta>();
        foreach (var (slot, count) in _slots)
        {
            var allowed = Interlocked.Exchange(ref count.Allowed, 0);
            var denied = Interlocked.Exchange(ref count.Denied, 0);
            if (allowed != 0 || denied != 0)
            {
                deltas.Add(new UsageDelta(slot, count.Digest, allowed, denied, Volatile.Read(ref count.LastUsedUnixMs)));
            }
            else if (UsageDays.IsBefore(slot.Day, today, days: 2))
            {
                // Two days idle: no request can still be counting into it, so removing it loses nothing.
                _slots.TryRemove(new KeyValuePair<UsageSlot, PendingCount>(slot, count));
            }
        }

        return deltas;
    }
}

/// <summary>What one slot gained since the last flush.</summary>
internal readonly record struct UsageDelta(UsageSlot Slot, KeyDigest Digest, long Allowed, long Denied, long LastUsedUnixMs);
