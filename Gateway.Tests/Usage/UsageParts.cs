using System.Diagnostics.Metrics;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Gateway.Configuration;
using Gateway.Keys;
using Gateway.Observability;
using Gateway.Store;
using Gateway.Usage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Usage;

/// <summary>The usage classes built by hand (no host) on a store and prefix of the test's choosing.</summary>
internal sealed class UsageParts : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();

    public UsageParts(string configuration, string prefix, TimeProvider time, UsageOptions? options = null)
    {
        Options = Microsoft.Extensions.Options.Options.Create(options ?? new UsageOptions());
        MeterFactory = _services.GetRequiredService<IMeterFactory>();
        Metrics = new GatewayMetrics(MeterFactory);
        Connection = new StoreConnection(
            Microsoft.Extensions.Options.Options.Create(new RedisOptions { Configuration = configuration, KeyPrefix = prefix }),
            Microsoft.Extensions.Options.Options.Create(new StoreOptions()),
            NullLoggerFactory.Instance);
        Counters = new UsageCounters(Options, time, Metrics);
        Store = new UsageStore(Connection, new KeyStore(Connection), Options, Metrics);
        Flusher = new UsageFlusher(Counters, Store, Options, time, Metrics, NullLogger<UsageFlusher>.Instance);
    }

    public IOptions<UsageOptions> Options { get; }

    public IMeterFactory MeterFactory { get; }

    public GatewayMetrics Metrics { get; }

    public StoreConnection Connection { get; }

    public UsageCounters Counters { get; }

    public UsageStore Store { get; }

    public UsageFlusher Flusher { get; }

    public static ApiKey Key(string id) =>
        new(id, id, KeyKind.Rpa, "rpa_test", true, DateTimeOffset.UnixEpoch, null, null, KeyScopes.All);

    public void Dispose()
    {
        Flusher.Dispose();
        Metrics.Dispose();
        Connection.Dispose();
        _services.Dispose();
    }
}

/// <summary>Sums one counter of the meter <c>Gateway</c> created by one meter factory (so parallel tests do not mix).</summary>
internal sealed class CounterProbe : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _value;

    public CounterProbe(IMeterFactory factory, string instrument)
    {
        _listener.InstrumentPublished = (i, listener) =>
        {
            if (i.Meter.Name == GatewayMetrics.MeterName && ReferenceEquals(i.Meter.Scope, factory) && i.Name == instrument)
            {
                listener.EnableMeasurementEvents(i);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, measurement, _, _) => Interlocked.Add(ref _value, measurement));
        _listener.Start();
    }

    public long Value => Interlocked.Read(ref _value);

    public void Dispose() => _listener.Dispose();
}

/// <summary>Reads the gauge <c>gateway.usage.pending_counters</c> of one meter factory, as an operator's scrape would.</summary>
internal static class PendingCounters
{
    public static int Read(IMeterFactory factory)
    {
        using var collector = new MetricCollector<int>(factory, GatewayMetrics.MeterName, "gateway.usage.pending_counters");
        collector.RecordObservableInstruments();
        return collector.LastMeasurement?.Value ?? throw new InvalidOperationException("The gauge gateway.usage.pending_counters is not registered.");
    }
}
