using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// A test class with its own recording upstream and gateway host, under a key prefix of its own, on the shared store
/// or (<see cref="OwnStore"/>) on a store of its own that it can stop and restart; all of it is started before the
/// first test of the class and stopped after its last (an xunit class fixture), the store process even when the
/// set-up failed half way. A class whose tests change what the host holds (a chaos switch, a stopped store, a
/// moved clock, a count of what the upstream saw) sets <see cref="PartsPerTest"/> and gets fresh parts per test.
/// </summary>
public abstract class GatewayTest(GatewayTest.Parts classParts) : IClassFixture<GatewayTest.Parts>, IAsyncLifetime
{
    private Parts _parts = null!;

    protected string Prefix => _parts.Prefix;

    protected RecordingUpstream Upstream => _parts.Upstream;

    protected GatewayHost Host => _parts.Host;

    /// <summary>The test's own store, when <see cref="OwnStore"/>.</summary>
    protected RestartableStore Store => _parts.Store;

    protected virtual bool OwnStore => false;

    /// <summary>Fresh parts for each test instead of the class's; the members below are then read per test.</summary>
    protected virtual bool PartsPerTest => false;

    // Read once per class (the first test's instance), unless PartsPerTest: a class sharing its parts keeps no state
    // here that differs from one test instance to the next.
    protected virtual IDictionary<string, string?>? Settings => null;

    protected virtual void ConfigureServices(IServiceCollection services)
    {
    }

    protected virtual void ConfigureLogging(ILoggingBuilder logging)
    {
    }

    protected virtual string WriteConfig(Uri upstream) => GatewayHost.WriteConfig(upstream);

    public Task InitializeAsync()
    {
        _parts = PartsPerTest ? new Parts() : classParts;
        return _parts.StartOnceAsync(this);
    }

    public async Task DisposeAsync()
    {
        if (PartsPerTest)
        {
            await _parts.DisposeAsync();
        }
    }

    /// <summary>What a <see cref="GatewayTest"/> runs against; xunit makes one per test class and disposes it after the last test.</summary>
    public sealed class Parts : IAsyncLifetime
    {
        private Task? _started;

        public string Prefix { get; } = TestStore.UniquePrefix();

        public RecordingUpstream Upstream { get; private set; } = null!;

        public GatewayHost Host { get; private set; } = null!;

        public RestartableStore Store { get; private set; } = null!;

        // xunit runs one class's tests one at a time, so the first caller starts the parts and later ones find them.
        internal Task StartOnceAsync(GatewayTest test) => _started ??= StartAsync(test);

        // Nothing to do before the first test: the parts are made from that test's members.
        public Task InitializeAsync() => Task.CompletedTask;

        public async Task DisposeAsync()
        {
            try
            {
                if (Host is not null)
                {
                    await Host.DisposeAsync();
                }

                if (Upstream is not null)
                {
                    await Upstream.DisposeAsync();
                }
            }
            finally
            {
                if (Store is not null)
                {
                    await Store.DisposeAsync();
                }
            }
        }

        private async Task StartAsync(GatewayTest test)
        {
            try
            {
                var storeConfiguration = TestStore.Configuration;
                if (test.OwnStore)
                {
                    Store = new RestartableStore();
                    await Store.StartAsync();
                    storeConfiguration = Store.Configuration;
                }

                Upstream = await RecordingUpstream.StartAsync();
                Host = new GatewayHost(test.WriteConfig(Upstream.Address), storeConfiguration, Prefix, test.Settings, test.ConfigureLogging, test.ConfigureServices).Start();
                if (test.OwnStore)
                {
                    await Host.WaitUntilReadyAsync();
                }
            }
            catch
            {
                // xunit does not call DisposeAsync when InitializeAsync throws; no process may outlive the run.
                await DisposeAsync();
                throw;
            }
        }
    }
}
