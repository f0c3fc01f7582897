using Gateway.Tests.Infrastructure;
using Gateway.Usage;

namespace Gateway.Tests.Usage;

/// <summary>
/// A test of the usage writer's own parts (<see cref="UsageParts"/>, no gateway) on the shared store under a key prefix
/// of its own, reading Redis with a connection of its own (<see cref="UsageRedis"/>).
/// </summary>
public abstract class UsageStoreTest : IAsyncLifetime
{
    protected string Prefix { get; } = TestStore.UniquePrefix();

    protected int Today { get; } = UsageDays.Of(DateTimeOffset.UtcNow);

    internal UsageParts Parts { get; private set; } = null!;

    internal UsageRedis Reader { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Parts = new UsageParts(TestStore.Configuration, Prefix, TimeProvider.System);
        Reader = await UsageRedis.ConnectAsync(TestStore.Configuration, Prefix);
    }

    public Task DisposeAsync()
    {
        Parts.Dispose();
        Reader.Dispose();
        return Task.CompletedTask;
    }
}
