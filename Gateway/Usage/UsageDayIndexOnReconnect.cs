using Gateway.Store;
using StackExchange.Redis;

namespace Gateway.Usage;

/// <summary>
/// A key is added to its day's set once per process and day (<see cref="UsageStore"/>). A Redis that restarted or
/// failed over may have kept the counts and lost that one write (it lands one round trip after them), so a restored
/// connection makes every key and day be added again on its next flush.
/// </summary>
internal sealed class UsageDayIndexOnReconnect(StoreConnection connection, UsageCounters counters) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        connection.Multiplexer.ConnectionRestored += OnConnectionRestored;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        connection.Multiplexer.ConnectionRestored -= OnConnectionRestored;
        return Task.CompletedTask;
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e) => counters.ForgetDayIndex();
}
