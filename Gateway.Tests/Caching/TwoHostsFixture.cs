using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Caching;

/// <summary>
/// Two gateway instances, A and B, on one store and one key prefix, as two replicas behind a load balancer, on one
/// fake clock that only a test moves: an entry that clears while it stands still (<c>Cache:NegativeTtl</c> a minute,
/// <c>Cache:L1Ttl</c> its 30 s default) was cleared by an invalidation, never by expiry.
/// </summary>
public sealed class TwoHostsFixture : IAsyncLifetime
{
    public static readonly IReadOnlyDictionary<string, string?> Settings = new Dictionary<string, string?>
    {
        ["Cache:NegativeTtl"] = "00:01:00",
    };

    public static readonly TimeSpan NegativeTtl = TimeSpan.FromMinutes(1);

    /// <summary>Both instances' clock; a test that moves it expires what either holds in memory.</summary>
    public FakeTimeProvider Time { get; } = FakeClock.StartingNow();

    public RecordingUpstream Upstream { get; private set; } = null!;

    public string Prefix { get; } = TestStore.UniquePrefix();

    public string ConfigPath { get; private set; } = null!;

    public GatewayHost A { get; private set; } = null!;

    public GatewayHost B { get; private set; } = null!;

    /// <summary>One more instance on the same store and prefix; the caller disposes it.</summary>
    public GatewayHost StartInstance() =>
        new GatewayHost(ConfigPath, TestStore.Configuration, Prefix, new Dictionary<string, string?>(Settings),
            configureServices: services => services.Use(Time)).Start();

    public async Task InitializeAsync()
    {
        Upstream = await RecordingUpstream.StartAsync();
        ConfigPath = GatewayHost.WriteConfig(Upstream.Address);
        A = StartInstance();
        B = StartInstance();
    }

    public async Task DisposeAsync()
    {
        await A.DisposeAsync();
        await B.DisposeAsync();
        await Upstream.DisposeAsync();
    }
}

/// <summary>Tests that share <see cref="TwoHostsFixture"/> run one at a time, so store-read counts are theirs alone.</summary>
[CollectionDefinition(Name)]
public sealed class TwoHostsCollection : ICollectionFixture<TwoHostsFixture>
{
    public const string Name = "Caching.TwoHosts";
}
