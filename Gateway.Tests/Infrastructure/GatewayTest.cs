using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// A test class with its own recording upstream and gateway host on the shared store, under a key prefix of its
/// own; both are started before the first test and stopped after the last. Override the hooks to change settings.
/// </summary>
public abstract class GatewayTest : IAsyncLifetime
{
    protected string Prefix { get; } = TestStore.UniquePrefix();

    protected RecordingUpstream Upstream { get; private set; } = null!;

    protected GatewayHost Host { get; private set; } = null!;

    protected virtual IDictionary<string, string?>? Settings => null;

    protected virtual void ConfigureServices(IServiceCollection services)
    {
    }

    protected virtual string WriteConfig(Uri upstream) => GatewayHost.WriteConfig(upstream);

    public async Task InitializeAsync()
    {
        Upstream = await RecordingUpstream.StartAsync();
        Host = new GatewayHost(WriteConfig(Upstream.Address), TestStore.Configuration, Prefix, Settings, configureServices: ConfigureServices).Start();
    }

    public async Task DisposeAsync()
    {
        if (Host is not null)
        {
            await Host.DisposeAsync();
        }

        await Upstream.DisposeAsync();
    }
}
