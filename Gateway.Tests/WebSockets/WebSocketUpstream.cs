using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.WebSockets;

/// <summary>What the upstream saw of one request: its path, the headers of interest, and every message received.</summary>
public sealed class UpstreamConnection(string? marker, string path, string query, string? protocols, string? extensions, bool upgraded)
{
    private readonly ConcurrentQueue<string> _messages = new();

    /// <summary>The request's <c>X-Test-Case</c> header: which test opened the connection.</summary>
    public string? Marker => marker;

    public string Path => path;

    public string Query => query;

    public string? OfferedProtocols => protocols;

    public string? Extensions => extensions;

    public bool Upgraded => upgraded;

    public IReadOnlyList<string> Messages => _messages.ToArray();

    public bool Closed { get; internal set; }

    internal void Add(string message) => _messages.Enqueue(message);
}

/// <summary>
/// A real Kestrel WebSocket upstream on a free loopback port. It accepts the first subprotocol the request offers
/// (or <see cref="ForceProtocol"/>), records every request and every message it receives, answers
/// <c>connection_init</c> with an ack, each operation (<c>subscribe</c>/<c>start</c>) with one result, and echoes
/// anything else back as text. A plain HTTP request is recorded and answered 200.
/// </summary>
public sealed class WebSocketUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<UpstreamConnection> _connections = new();

    private WebSocketUpstream(WebApplication app) => _app = app;

    public Uri Address { get; private set; } = null!;

    public IReadOnlyList<UpstreamConnection> Connections => _connections.ToArray();

    /// <summary>The connections a test opened, by its marker.</summary>
    public IReadOnlyList<UpstreamConnection> For(string marker) => Connections.Where(c => c.Marker == marker).ToArray();

    /// <summary>Every message a test's connections delivered.</summary>
    public IReadOnlyList<string> MessagesFor(string marker) => For(marker).SelectMany(c => c.Messages).ToArray();

    /// <summary>When set, the subprotocol the upstream answers with, offered or not.</summary>
    public string? ForceProtocol { get; set; }

    public static async Task<WebSocketUpstream> StartAsync()
    {
        var builder = UpstreamBuilder.Create();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(System.Net.IPAddress.Loopback, 0));
        var app = builder.Build();
        var upstream = new WebSocketUpstream(app);
        app.UseWebSockets();
        app.Run(upstream.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        upstream.Address = new Uri(address.EndsWith('/') ? address : address + "/");
        return upstream;
    }

    public void Clear() => _connections.Clear();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var protocols = request.Headers.SecWebSocketProtocol.ToString();
        var connection = new UpstreamConnection(
            request.Headers["X-Test-Case"].FirstOrDefault(),
            request.Path.Value ?? "",
            request.QueryString.Value ?? "",
            protocols.Length > 0 ? protocols : null,
            request.Headers.SecWebSocketExtensions.Count > 0 ? request.Headers.SecWebSocketExtensions.ToString() : null,
            context.WebSockets.IsWebSocketRequest);
        _connections.Enqueue(connection);
        if (!context.WebSockets.IsWebSocketRequest)
        {
            await context.Response.WriteAsync("{\"ok\":true}");
            return;
        }

        var chosen = ForceProtocol ?? context.WebSockets.WebSocketRequestedProtocols.FirstOrDefault();
        using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { SubProtocol = chosen, DangerousEnableCompression = true });
        await RunAsync(socket, connection);
    }

    private static async Task RunAsync(WebSocket socket, UpstreamConnection connection)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                using var message = new MemoryStream();
                WebSocketReceiveResult received;
                do
                {
                    received = await socket.ReceiveAsync(buffer, CancellationToken.None);
                    if (received.MessageType == WebSocketMessageType.Close)
                    {
                        connection.Closed = true;
                        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                        return;
                    }

                    message.Write(buffer, 0, received.Count);
                }
                while (!received.EndOfMessage);

                var text = received.MessageType == WebSocketMessageType.Text
                    ? Encoding.UTF8.GetString(message.ToArray())
                    : "binary:" + Convert.ToHexString(message.ToArray());
                connection.Add(text);
                await socket.SendAsync(Encoding.UTF8.GetBytes(Answer(text)), WebSocketMessageType.Text, true, CancellationToken.None);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or OperationCanceledException)
        {
            connection.Closed = true;
        }
    }

    private static string Answer(string text)
    {
        if (text.Contains("\"connection_init\"", StringComparison.Ordinal))
        {
            return "{\"type\":\"connection_ack\"}";
        }

        if (text.Contains("\"subscribe\"", StringComparison.Ordinal))
        {
            return "{\"id\":\"1\",\"type\":\"next\",\"payload\":{\"data\":{\"ok\":true}}}";
        }

        return text.Contains("\"start\"", StringComparison.Ordinal)
            ? "{\"id\":\"1\",\"type\":\"data\",\"payload\":{\"data\":{\"ok\":true}}}"
            : "echo:" + text;
    }
}
