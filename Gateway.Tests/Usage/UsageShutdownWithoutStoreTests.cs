using System.Net;
using System.Net.Sockets;
using Gateway.Keys;
using Gateway.Usage;

namespace Gateway.Tests.Usage;

/// <summary>
/// A stop while the store was never reachable: the flush of what is held ends with the shutdown timeout and reports
/// the loss, it never throws out of the host's stop (found in a full-suite run: a store outage test's host threw on
/// disposal, "The store is not connected", when the timeout was already past as the attempt failed).
/// </summary>
public sealed class UsageShutdownWithoutStoreTests
{
    [Fact]
    public async Task FlushRemaining_StoreNeverConnected_TimeoutAlreadyPast_EndsWithoutThrowing()
    {
        // A loopback port nothing listens on: the connection fails at once, and the batch cannot even be planned.
        using var parts = new UsageParts($"127.0.0.1:{ClosedPort()},abortConnect=false,connectTimeout=200", TestPrefix(), TimeProvider.System);
        parts.Counters.Record(UsageParts.Key("k-down"), ScopeTarget.Endpoint("ep"), allowed: true);
        using var past = new CancellationTokenSource();
        await past.CancelAsync();

        var thrown = await Record.ExceptionAsync(() => parts.Flusher.FlushRemainingAsync(past.Token));

        Assert.Null(thrown);
    }

    private static string TestPrefix() => "shutdown-" + Guid.NewGuid().ToString("N") + ":";

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
