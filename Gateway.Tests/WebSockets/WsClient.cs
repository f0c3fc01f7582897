using System.Net.WebSockets;
using System.Text;

namespace Gateway.Tests.WebSockets;

/// <summary>A WebSocket client of the gateway's proxy listener, with bounded waits for everything it expects.</summary>
public sealed class WsClient : IDisposable
{
    public const string MarkerHeader = "X-Test-Case";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private WsClient(ClientWebSocket socket, int status)
    {
        Socket = socket;
        Status = status;
    }

    public ClientWebSocket Socket { get; }

    /// <summary>The HTTP status of the upgrade answer: 101 (200 over HTTP/2) when it was accepted.</summary>
    public int Status { get; }

    public bool Connected => Status is 101 or 200;

    /// <param name="protocols">Each entry is sent as offered, in one Sec-WebSocket-Protocol header ("" = none).</param>
    public static async Task<WsClient> ConnectAsync(
        Uri proxy, string pathAndQuery, string marker, string? key, string[]? protocols = null, Action<ClientWebSocketOptions>? edit = null,
        HttpMessageInvoker? invoker = null)
    {
        var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        socket.Options.SetRequestHeader(MarkerHeader, marker);
        if (key is not null)
        {
            socket.Options.SetRequestHeader("Authorization", "Bearer " + key);
        }

        foreach (var protocol in protocols ?? ["graphql-transport-ws"])
        {
            socket.Options.AddSubProtocol(protocol);
        }

        edit?.Invoke(socket.Options);
        var uri = new Uri(new Uri("ws://" + proxy.Authority), pathAndQuery);
        using var timeout = new CancellationTokenSource(Wait);
        try
        {
            await socket.ConnectAsync(uri, invoker, timeout.Token);
        }
        catch (WebSocketException)
        {
            // Refused upgrades answer with a status; HttpStatusCode holds it.
        }

        return new WsClient(socket, (int)socket.HttpStatusCode);
    }

    public async Task SendAsync(string text, bool endOfMessage = true, WebSocketMessageType type = WebSocketMessageType.Text)
    {
        using var timeout = new CancellationTokenSource(Wait);
        await Socket.SendAsync(Encoding.UTF8.GetBytes(text), type, endOfMessage, timeout.Token);
    }

    /// <summary>The next whole text message, or null when the gateway closed the connection instead.</summary>
    public async Task<string?> ReceiveAsync()
    {
        using var timeout = new CancellationTokenSource(Wait);
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        WebSocketReceiveResult received;
        do
        {
            received = await Socket.ReceiveAsync(buffer, timeout.Token);
            if (received.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            message.Write(buffer, 0, received.Count);
        }
        while (!received.EndOfMessage);
        return Encoding.UTF8.GetString(message.ToArray());
    }

    /// <summary>
    /// Reads until the connection ends and returns the close status the gateway sent (null when it was cut without
    /// a close frame).
    /// </summary>
    public async Task<int?> ClosedWithAsync(TimeSpan? within = null)
    {
        using var timeout = new CancellationTokenSource(within ?? Wait);
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var received = await Socket.ReceiveAsync(buffer, timeout.Token);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    return (int?)Socket.CloseStatus;
                }
            }
        }
        catch (WebSocketException)
        {
            return null;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            throw new TimeoutException($"The connection was still open after {(within ?? Wait).TotalSeconds:0.#} s.");
        }
    }

    /// <summary>Sends connection_init and expects the upstream's ack through the relay.</summary>
    public async Task InitAsync()
    {
        await SendAsync("{\"type\":\"connection_init\"}");
        Assert.Equal("{\"type\":\"connection_ack\"}", await ReceiveAsync());
    }

    public static string Subscribe(string id, string query, string type = "subscribe") =>
        $"{{\"id\":\"{id}\",\"type\":\"{type}\",\"payload\":{{\"query\":{System.Text.Json.JsonSerializer.Serialize(query)}}}}}";

    public void Dispose() => Socket.Dispose();
}
