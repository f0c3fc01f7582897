// bench/websocket.sh's two roles, by the first argument:
//   upstream --port P                 a Kestrel WebSocket server on loopback that answers every text message with one
//                                     small text message (connection_init with connection_ack), as a GraphQL server would
//   client --url ws://... --key K [--protocol graphql-transport-ws] [--connections C] [--seconds S]
//                                     C connections, each sending one subscribe message and awaiting its answer in a loop
//                                     for S seconds; prints one JSON line {"messages": n, "seconds": s, "rate": r, "errors": e}
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;

var mode = args.Length > 0 ? args[0] : "";
string Arg(string name, string fallback)
{
    var at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? args[at + 1] : fallback;
}

if (mode == "upstream")
{
    var builder = WebApplication.CreateSlimBuilder();
    builder.Logging.ClearProviders();
    builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, int.Parse(Arg("--port", "0"), System.Globalization.CultureInfo.InvariantCulture)));
    var app = builder.Build();
    app.UseWebSockets();
    app.Run(async context =>
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            await context.Response.WriteAsync("ok");
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync(context.WebSockets.WebSocketRequestedProtocols.FirstOrDefault());
        var buffer = new byte[64 * 1024];
        var ack = "{\"type\":\"connection_ack\"}"u8.ToArray();
        var next = "{\"id\":\"1\",\"type\":\"next\",\"payload\":{\"data\":{\"ok\":true}}}"u8.ToArray();
        try
        {
            while (true)
            {
                var received = await socket.ReceiveAsync(buffer, CancellationToken.None);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                    return;
                }

                if (received.EndOfMessage)
                {
                    var answer = buffer.AsSpan(0, received.Count).IndexOf("connection_init"u8) >= 0 ? ack : next;
                    await socket.SendAsync(answer, WebSocketMessageType.Text, true, CancellationToken.None);
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or IOException)
        {
        }
    });
    await app.RunAsync();
    return 0;
}

if (mode != "client")
{
    Console.Error.WriteLine("usage: WebSocketBench upstream --port P | client --url ws://... --key K [--connections C] [--seconds S]");
    return 2;
}

var url = new Uri(Arg("--url", ""));
var key = Arg("--key", "");
var protocol = Arg("--protocol", "graphql-transport-ws");
var connections = int.Parse(Arg("--connections", "8"), System.Globalization.CultureInfo.InvariantCulture);
var seconds = double.Parse(Arg("--seconds", "5"), System.Globalization.CultureInfo.InvariantCulture);
var subscribe = Encoding.UTF8.GetBytes("{\"id\":\"1\",\"type\":\"subscribe\",\"payload\":{\"query\":\"subscription { podStatus(id: \\\"abc\\\") { id status } }\"}}");
long messages = 0, errors = 0;

async Task<ClientWebSocket> OpenAsync()
{
    var socket = new ClientWebSocket();
    socket.Options.KeepAliveInterval = TimeSpan.Zero;
    socket.Options.SetRequestHeader("Authorization", "Bearer " + key);
    if (protocol.Length > 0)
    {
        socket.Options.AddSubProtocol(protocol);
    }

    await socket.ConnectAsync(url, CancellationToken.None);
    await socket.SendAsync("{\"type\":\"connection_init\"}"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
    await socket.ReceiveAsync(new byte[1024], CancellationToken.None);
    return socket;
}

var sockets = await Task.WhenAll(Enumerable.Range(0, connections).Select(_ => OpenAsync()));
var clock = Stopwatch.StartNew();
var until = TimeSpan.FromSeconds(seconds);
await Task.WhenAll(sockets.Select(async socket =>
{
    var buffer = new byte[64 * 1024];
    while (clock.Elapsed < until)
    {
        try
        {
            await socket.SendAsync(subscribe, WebSocketMessageType.Text, true, CancellationToken.None);
            WebSocketReceiveResult received;
            do
            {
                received = await socket.ReceiveAsync(buffer, CancellationToken.None);
            }
            while (!received.EndOfMessage);
            if (received.MessageType != WebSocketMessageType.Text)
            {
                Interlocked.Increment(ref errors);
                return;
            }

            Interlocked.Increment(ref messages);
        }
        catch (WebSocketException)
        {
            Interlocked.Increment(ref errors);
            return;
        }
    }
}));
var elapsed = clock.Elapsed.TotalSeconds;
foreach (var socket in sockets)
{
    try
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
    }
    catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
    {
        Interlocked.Increment(ref errors);
    }
}

Console.WriteLine(FormattableString.Invariant($"{{\"messages\":{messages},\"seconds\":{elapsed:0.###},\"rate\":{messages / elapsed:0.#},\"errors\":{errors}}}"));
return errors == 0 && messages > 0 ? 0 : 1;
