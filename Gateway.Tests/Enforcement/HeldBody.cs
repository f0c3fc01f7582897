using System.Net.Sockets;
using System.Text;

namespace Gateway.Tests.Enforcement;

/// <summary>
/// A GraphQL POST over a raw socket that declares a body and sends only part of it, then holds the connection
/// open: the slow or stalled client the body bounds are for. Disposing it closes the connection.
/// </summary>
public sealed class HeldBody : IAsyncDisposable
{
    private readonly TcpClient _client = new();
    private readonly MemoryStream _received = new();
    private Task? _reading;

    private HeldBody()
    {
    }

    /// <summary>Connects and sends the head (declaring <paramref name="declaredLength"/>) and the first <paramref name="sent"/> body bytes.</summary>
    public static async Task<HeldBody> StartAsync(Uri server, string key, int declaredLength, int sent)
    {
        var held = new HeldBody();
        await held._client.ConnectAsync(server.Host, server.Port);
        var head = $"POST /graphql HTTP/1.1\r\nHost: {server.Authority}\r\nAuthorization: Bearer {key}\r\n"
            + $"Content-Type: application/json\r\nContent-Length: {declaredLength}\r\n\r\n";
        var stream = held._client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        // Spaces are valid JSON white space, so the body is well-formed as far as it goes.
        await stream.WriteAsync(Encoding.ASCII.GetBytes(new string(' ', sent)));
        await stream.FlushAsync();
        held._reading = held.ReadAllAsync();
        return held;
    }

    /// <summary>Whether the gateway has answered (and closed), so far.</summary>
    public bool Answered => _reading!.IsCompleted;

    /// <summary>The gateway's answer: status and headers; waits for it up to <paramref name="deadline"/>.</summary>
    public async Task<ProxyResponse> ResponseAsync(TimeSpan deadline)
    {
        await _reading!.WaitAsync(deadline);
        return RawHttp.Parse(_received.ToArray());
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        if (_reading is not null)
        {
            await _reading.ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    private async Task ReadAllAsync()
    {
        try
        {
            await _client.GetStream().CopyToAsync(_received);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException)
        {
            // Closed by the gateway after its answer, or by the test; what arrived before counts.
        }
    }
}
