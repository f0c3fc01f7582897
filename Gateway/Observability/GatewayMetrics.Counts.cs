using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Gateway.Observability;

/// <summary>A key lookup's tier and result other than an L1 hit, which has its own field.</summary>
public enum KeyLookupOutcome : byte
{
    L1Miss,
    L2Hit,
    L2Miss,
    L2Error,
}

// The counts every request makes (a decision, a key lookup, a GraphQL document lookup). A Counter<long> would hand each
// one to the SDK's aggregation (a tag-set lookup and an update per measurement: about 1 % of a proxied request's CPU);
// here the request path bumps a plain field with one interlocked add, and the observable counters report the totals
// when /metrics is scraped. The names, descriptions and series are the same as the counters': a series appears once
// it has been counted, never as a zero before.
public sealed partial class GatewayMetrics
{
    private static readonly KeyValuePair<string, object?>[] AllowedTags = [new("decision", "allowed"), new("code", "ok")];

    private static readonly KeyValuePair<string, object?>[] L1HitTags = [new("tier", "l1"), new("result", "hit")];

    // Indexed by KeyLookupOutcome.
    private static readonly KeyValuePair<string, object?>[][] KeyLookupTags =
    [
        [new("tier", "l1"), new("result", "miss")],
        [new("tier", "l2"), new("result", "hit")],
        [new("tier", "l2"), new("result", "miss")],
        [new("tier", "l2"), new("result", "error")],
    ];

    private static readonly KeyValuePair<string, object?>[] DocumentHitTags = [new("result", "hit")];

    private static readonly KeyValuePair<string, object?>[] DocumentMissTags = [new("result", "miss")];

    private long _allowed;
    private long _l1Hits;
    private readonly long[] _keyLookups = new long[KeyLookupTags.Length];
    private long _documentHits;
    private long _documentMisses;

    // Refusal codes are a small fixed set (Refusal's and RateLimitRefusal's); refusals are not the path to keep cheapest.
    private readonly ConcurrentDictionary<string, RefusalCount> _refused = new(StringComparer.Ordinal);

    public void Allowed() => Interlocked.Increment(ref _allowed);

    public void Refused(string code) => Interlocked.Increment(ref _refused.GetOrAdd(code, static c => new RefusalCount(c)).Count);

    /// <summary>A key found fresh in memory: the lookup almost every request makes.</summary>
    public void KeyLookupL1Hit() => Interlocked.Increment(ref _l1Hits);

    public void KeyLookup(KeyLookupOutcome outcome) => Interlocked.Increment(ref _keyLookups[(int)outcome]);

    public void GraphQLDocumentCacheLookup(bool hit)
    {
        if (hit)
        {
            Interlocked.Increment(ref _documentHits);
        }
        else
        {
            Interlocked.Increment(ref _documentMisses);
        }
    }

    private List<Measurement<long>> ObserveRequests()
    {
        var measurements = new List<Measurement<long>>(1 + _refused.Count);
        AddCounted(measurements, ref _allowed, AllowedTags);
        foreach (var refused in _refused.Values)
        {
            AddCounted(measurements, ref refused.Count, refused.Tags);
        }

        return measurements;
    }

    private List<Measurement<long>> ObserveKeyLookups()
    {
        var measurements = new List<Measurement<long>>(1 + _keyLookups.Length);
        AddCounted(measurements, ref _l1Hits, L1HitTags);
        for (var i = 0; i < _keyLookups.Length; i++)
        {
            AddCounted(measurements, ref _keyLookups[i], KeyLookupTags[i]);
        }

        return measurements;
    }

    private List<Measurement<long>> ObserveDocumentLookups()
    {
        var measurements = new List<Measurement<long>>(2);
        AddCounted(measurements, ref _documentMisses, DocumentMissTags);
        AddCounted(measurements, ref _documentHits, DocumentHitTags);
        return measurements;
    }

    private static void AddCounted(List<Measurement<long>> measurements, ref long count, KeyValuePair<string, object?>[] tags)
    {
        var value = Interlocked.Read(ref count);
        if (value > 0)
        {
            measurements.Add(new Measurement<long>(value, tags));
        }
    }

    private sealed class RefusalCount(string code)
    {
        public long Count;

        public readonly KeyValuePair<string, object?>[] Tags = [new("decision", "refused"), new("code", code)];
    }
}
