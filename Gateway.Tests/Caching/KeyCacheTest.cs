using System.Diagnostics.Metrics;
using Gateway.Caching;
using Gateway.Configuration;
using Gateway.Observability;
using Gateway.Store;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Caching;

/// <summary>
/// What the tests of <see cref="KeyCache"/> on its own share: a fake clock, a metrics provider, and a connection to
/// the shared store under a prefix of the test's own with its <see cref="KeyStore"/>. Each test class brings its own
/// gate on the cache's store reads (<see cref="IStoreReadChaos"/>).
/// </summary>
public abstract class KeyCacheTest : IDisposable
{
    protected KeyCacheTest()
    {
        Connection = TestStore.Connect();
        Store = new KeyStore(Connection);
    }

    protected FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);

    protected ServiceProvider Services { get; } = new ServiceCollection().AddMetrics().BuildServiceProvider();

    protected IMeterFactory Meters => Services.GetRequiredService<IMeterFactory>();

    protected StoreConnection Connection { get; }

    protected KeyStore Store { get; }

    /// <summary>
    /// A cache over the test's store whose every store read passes <paramref name="gate"/>, on the test's clock or on
    /// <paramref name="time"/> (a clock that holds the refresh sweep, say).
    /// </summary>
    protected KeyCache NewCache(CacheOptions options, IStoreReadChaos gate, TimeProvider? time = null) =>
        new(Store, Options.Create(options), time ?? Time, new GatewayMetrics(Meters), [gate], NullLogger<KeyCache>.Instance);

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            Connection.Dispose();
            Services.Dispose();
        }
    }
}
