using System.Net;
using System.Net.Sockets;

namespace Gateway.Tests.Usage;

/// <summary>
/// A TCP relay in front of the store that can swallow the store's replies: commands still reach Redis and are
/// applied, but the client never hears back, which is what a reply lost on the network looks like. Cutting the
/// connections then makes the client fail the commands and reconnect.
/// </summary>
internal sealed class ReplyDroppingRelay : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string _targetHost;
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _open = [];
    private readonly Task _accepting;
    private volatile bool _dropReplies;

    public ReplyDroppingRelay(string targetHost, int targetPort)
    {
        _targetHost = targetHost;
        _targetPort = targetPort;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary>A relay in front of the tests' store (its first endpoint: one server, see the class remarks of its users).</summary>
    public static ReplyDroppingRelay ForTestStore()
    {
        var target = StackExchange.Redis.ConfigurationOptions.Parse(Infrastructure.TestStore.Configuration).EndPoints[0];
        return target switch
        {
            IPEndPoint ip => new ReplyDroppingRelay(ip.Address.ToString(), ip.Port),
            DnsEndPoint dns => new ReplyDroppingRelay(dns.Host, dns.Port),
            _ => throw new InvalidOperationException($"Unexpected endpoint {target}"),
        };
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>From now on, replies are read from the store and thrown away, on every connection.</summary>
    public void DropReplies() => _dropReplies = true;

    /// <summary>
    /// Closes every relayed connection (both sides), then relays replies again on the connections the client opens
    /// next. In that order: a reply let through on a connection whose earlier replies were dropped would be matched
    /// to the wrong command.
    /// </summary>
    public void CutAndRecover()
    {
        CutAll();
        _dropReplies = false;
    }

    private void CutAll()
    {
        lock (_open)
        {
            foreach (var client in _open)
            {
                client.Dispose();
            }

            _open.Clear();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        CutAll();
        try
        {
            await _accepting;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            var server = new TcpClient();
            await server.ConnectAsync(_targetHost, _targetPort, _stop.Token);
            lock (_open)
            {
                _open.Add(client);
                _open.Add(server);
            }

            _ = PumpAsync(client, server, replies: false);
            _ = PumpAsync(server, client, replies: true);
        }
    }

    private async Task PumpAsync(TcpClient from, TcpClient to, bool replies)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await from.GetStream().ReadAsync(buffer, _stop.Token);
                if (read == 0)
                {
                    break;
                }

                if (replies && _dropReplies)
                {
                    continue;
                }

                await to.GetStream().WriteAsync(buffer.AsMemory(0, read), _stop.Token);
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
        {
            // Either side went away: close both.
        }

        from.Dispose();
        to.Dispose();
    }
}
