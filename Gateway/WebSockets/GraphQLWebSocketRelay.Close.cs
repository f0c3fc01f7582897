using System.Net.WebSockets;

namespace Gateway.WebSockets;

/// <summary>How the relay ends a connection: close frames both ways, bounded in time, then an abort.</summary>
internal sealed partial class GraphQLWebSocketRelay
{
    private async Task CloseCoreAsync(string reason)
    {
        var (status, description) = CloseFrameFor(reason);
        if (_client is not null)
        {
            await SendCloseAsync(_client, _clientSend, status, description).ConfigureAwait(false);
            await SendCloseAsync(_upstream!, _upstreamSend, WebSocketCloseStatus.NormalClosure, null).ConfigureAwait(false);
        }

        Abort();
    }

    /// <summary>Sends a close frame unless the socket is past it; bounded, so a peer that stops reading cannot hold a close.</summary>
    private static async Task SendCloseAsync(WebSocket socket, SemaphoreSlim sending, WebSocketCloseStatus status, string? description)
    {
        using var timeout = new CancellationTokenSource(CloseTimeout);
        try
        {
            await sending.WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        try
        {
            if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await socket.CloseOutputAsync(status, description, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The peer is gone or not reading; the abort that follows ends the connection either way.
        }
        finally
        {
            sending.Release();
        }
    }

    private void Abort()
    {
        Interlocked.Exchange(ref _closing, 1);
        _stop.Cancel();
        _client?.Abort();
        _upstream?.Abort();
        _client?.Dispose();
        _upstream?.Dispose();
    }

    /// <summary>
    /// The close the client gets: 4403 when the key does not allow what it sent, as graphql-transport-ws uses it; 4429
    /// when an operation would put the key over its rate limits (HTTP's 429 in the 4000s private-use range).
    /// </summary>
    internal static (WebSocketCloseStatus Status, string Description) CloseFrameFor(string reason) => reason switch
    {
        "scope_denied" or "key_disabled" or "key_expired" or "invalid_key" or "ip_not_allowed" => ((WebSocketCloseStatus)4403, reason),
        "rate_limited" => ((WebSocketCloseStatus)4429, reason),
        "invalid_graphql" => ((WebSocketCloseStatus)4400, reason),
        "message_too_big" => (WebSocketCloseStatus.MessageTooBig, reason),
        "binary_message" => (WebSocketCloseStatus.InvalidMessageType, reason),
        "bad_subprotocol" => (WebSocketCloseStatus.ProtocolError, reason),
        _ => (WebSocketCloseStatus.InternalServerError, reason),
    };
}
