using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Usage;

/// <summary>
/// A test of several gateway instances on the shared store under a key prefix of their own, in front of one recording
/// upstream, reading Redis with a connection of its own (<see cref="UsageRedis"/>). Every instance started is stopped.
/// </summary>
public abstract class UsageInstancesTest : IAsyncLifetime
{
    private readonly List<GatewayHost> _hosts = [];

    protected string Prefix { get; } = TestStore.UniquePrefix();

    /// <summary>The instances started so far, in order.</summary>
    internal IReadOnlyList<GatewayHost> Hosts => _hosts;

    internal RecordingUpstream Upstream { get; private set; } = null!;

    internal UsageRedis Redis { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Upstream = await RecordingUpstream.StartAsync();
        Redis = await UsageRedis.ConnectAsync(TestStore.Configuration, Prefix);
    }

    public virtual async Task DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            await host.DisposeAsync();
            File.Delete(host.ConfigPath);
        }

        await Upstream.DisposeAsync();
        Redis.Dispose();
    }

    /// <summary>Starts one more instance with the usage test settings plus <paramref name="settings"/>.</summary>
    protected GatewayHost StartHost(params (string Key, string? Value)[] settings)
    {
        var host = new GatewayHost(GatewayHost.WriteConfig(Upstream.Address), TestStore.Configuration, Prefix, UsageHosts.Settings(settings));
        _hosts.Add(host);
        host.Start();
        return host;
    }
}
