using System.Diagnostics;
using System.Net.Sockets;
using Garnet;
using Gateway.Store;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// A store of the test's own that it can stop and start again on the same port, for outage tests: a
/// redis-server process when one is installed (CI), else an embedded Garnet.
/// </summary>
public sealed class RestartableStore : IAsyncDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "gateway-outage-" + Guid.NewGuid().ToString("N"));
    private readonly string? _redisServer = FindRedisServer();
    private Process? _process;
    private GarnetServer? _garnet;

    public RestartableStore()
    {
        Directory.CreateDirectory(_directory);
        Port = EmbeddedGarnet.FreeLoopbackPort();
    }

    public int Port { get; }

    public string Configuration => $"127.0.0.1:{Port},connectTimeout=1000,syncTimeout=1000,asyncTimeout=1000";

    public bool IsRunning => _process is { HasExited: false } || _garnet is not null;

    public async Task StartAsync()
    {
        if (_redisServer is not null)
        {
            _process = Process.Start(new ProcessStartInfo(_redisServer)
            {
                ArgumentList = { "--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", _directory },
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            })!;
            _process.OutputDataReceived += (_, _) => { };
            _process.BeginOutputReadLine();
            _process.ErrorDataReceived += (_, _) => { };
            _process.BeginErrorReadLine();
        }
        else
        {
            (_garnet, _) = EmbeddedGarnet.Start(_directory, NullLoggerFactory.Instance, Port);
        }

        await Eventually.TrueAsync(CanConnectAsync, "the store to accept connections");
    }

    public Task StopAsync()
    {
        if (_process is not null)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
            _process.Dispose();
            _process = null;
        }

        _garnet?.Dispose();
        _garnet = null;
        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
    }

    private async Task<bool> CanConnectAsync()
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", Port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static string? FindRedisServer()
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':'))
        {
            var candidate = Path.Combine(directory, "redis-server");
            if (directory.Length > 0 && File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
