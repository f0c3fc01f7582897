using System.Net;
using System.Net.Sockets;
using Garnet;

namespace Gateway.Store;

/// <summary>Starts Microsoft.Garnet in-process, bound to loopback only, persisting to an append-only file.</summary>
public static class EmbeddedGarnet
{
    public static (GarnetServer Server, int Port) Start(string dataDirectory, ILoggerFactory loggerFactory, int port = 0)
    {
        Directory.CreateDirectory(dataDirectory);
        if (port == 0)
        {
            port = FreeLoopbackPort();
        }

        string[] args =
        [
            "--bind", "127.0.0.1",
            "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--checkpointdir", dataDirectory,
            // The append-only file makes keys survive a restart; recovery replays it at start.
            "--aof", "--recover",
            "--lua",
            // Without it Garnet runs a script's commands unlocked, interleaved with other clients' commands: the admin
            // write's compare-and-set (KeyStore.Writes) would let two writers both see the version they read.
            "--lua-transaction-mode",
            // The managed device needs no native libaio, which many hosts lack.
            "--device-type", "RandomAccess",
        ];
        var server = new GarnetServer(args, new QuietLoggerFactory(loggerFactory));
        server.Start();
        return (server, port);
    }

    public static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    // Garnet logs its own start-up chatter at Information; the gateway's log keeps only its warnings.
    private sealed class QuietLoggerFactory(ILoggerFactory inner) : ILoggerFactory
    {
        // ArgParser warns that an external logger factory overrides its log options, which is the point.
        public ILogger CreateLogger(string categoryName) =>
            new AtLeast(inner.CreateLogger("Garnet." + categoryName), categoryName == "ArgParser" ? LogLevel.Error : LogLevel.Warning);

        public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

        public void Dispose()
        {
            // The host owns the inner factory.
        }
    }

    private sealed class AtLeast(ILogger inner, LogLevel minimum) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }
}
