using System.Diagnostics.Metrics;
using Gateway.Observability;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// Reads one of the gateway's observable counters the way a scrape does: each read runs the instrument's callback and
/// takes the cumulative total of every tag set. Counts are from the reader's creation on (its first read is the
/// baseline), so a test sees only what happened after it made the reader. Only the meter of <c>meters</c> is read.
/// </summary>
internal sealed class CounterReader : IDisposable
{
    private readonly MetricCollector<long> _collector;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, long> _baseline;
    private Dictionary<string, long> _lastChanges;

    public CounterReader(IMeterFactory meters, string instrument)
    {
        _collector = new MetricCollector<long>(meters, GatewayMetrics.MeterName, instrument);
        _baseline = Totals().ToDictionary(s => s.Key, s => s.Value.Count);
        _lastChanges = new Dictionary<string, long>(_baseline);
    }

    /// <summary>The count since the reader was made, summed over the tag sets that carry every one of <paramref name="match"/>.</summary>
    public long Count(params (string Key, string Value)[] match) =>
        Totals().Values
            .Where(series => match.All(m => series.Tags.TryGetValue(m.Key, out var v) && v == m.Value))
            .Sum(series => series.Count - _baseline.GetValueOrDefault(Id(series.Tags)));

    /// <summary>
    /// One entry per count since the last call (or since the reader was made): the tag set counted, as many times as it
    /// was. Read after each action, it says which series each action counted, in order.
    /// </summary>
    public IReadOnlyList<IReadOnlyDictionary<string, string>> Changes()
    {
        lock (_gate)
        {
            var totals = Totals();
            var changes = new List<IReadOnlyDictionary<string, string>>();
            foreach (var (id, series) in totals)
            {
                for (var n = _lastChanges.GetValueOrDefault(id); n < series.Count; n++)
                {
                    changes.Add(series.Tags);
                }
            }

            _lastChanges = totals.ToDictionary(s => s.Key, s => s.Value.Count);
            return changes;
        }
    }

    public void Dispose() => _collector.Dispose();

    private Dictionary<string, (IReadOnlyDictionary<string, string> Tags, long Count)> Totals()
    {
        lock (_gate)
        {
            _collector.RecordObservableInstruments();
            var totals = new Dictionary<string, (IReadOnlyDictionary<string, string> Tags, long Count)>(StringComparer.Ordinal);
            foreach (var measurement in _collector.GetMeasurementSnapshot(clear: true))
            {
                var tags = measurement.Tags.ToDictionary(t => t.Key, t => (string)t.Value!, StringComparer.Ordinal);
                // An observable counter reports its cumulative total: the last one of a collection is the count.
                totals[Id(tags)] = (tags, measurement.Value);
            }

            return totals;
        }
    }

    private static string Id(IReadOnlyDictionary<string, string> tags) =>
        string.Join(",", tags.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => t.Key + "=" + t.Value));
}
