using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// A test class with its own recording upstream and gateway host, under a key prefix of its own, on the shared store
/// or (<see cref="OwnStore"/>) on a store of its own that it can stop and restart; all of it is started before the
/// first test and stopped after the last, the store process even when the set-up failed half way.
/// </summary>
public abstract class GatewayTest : IAsyncLifetime
{
    protected string Prefix { get; } = TestStore.UniquePrefix();

    protected RecordingUpstream Upstream { get; private set; } = null!;

    protected GatewayHost Host { get; private set; } = null!;

    /// <summary>The test's own store, when <see cref="OwnStore"/>.</summary>
    protected RestartableStore Store { get; private set; } = null!;

    protected virtual bool OwnStore => false;

    protected virtual IDictionary<string, string?>? Settings => null;

    protected virtual void ConfigureServices(IServiceCollection services)
    {
    }

    protected virtual void ConfigureLogging(ILoggingBuilder logging)
    {
    }

    protected virtual string WriteConfig(Uri upstream) => GatewayHost.WriteConfig(upstream);

    public async Task InitializeAsync()
    {
        try
        {
            var storeConfiguration = TestStore.Configuration;
            if (OwnStore)
            {
                Store = new RestartableStore();
                await Store.StartAsync();
                storeConfiguration = Store.Configuration;
            }

            Upstream = await RecordingUpstream.StartAsync();
            Host = new GatewayHost(WriteConfig(Upstream.Address), storeConfiguration, Prefix, Settings, ConfigureLogging, ConfigureServices).Start();
        }
        catch
        {
            // xunit does not call DisposeAsync when InitializeAsync throws; no process may outlive the run.
            await DisposeAsync();
            throw;
        }
    }

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
}
