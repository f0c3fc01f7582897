using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Net.WebSockets;
using Gateway.Caching;
using Gateway.GraphQL;
using Gateway.Keys;
using Gateway.RateLimiting;
using Gateway.Usage;

namespace Gateway.WebSockets;

/// <summary>
/// Terminates the client's WebSocket and opens one toward YARP's end of an in-memory pipe (YARP still owns the
/// upstream connection), then relays message by message. Client messages are read whole (at most
/// <c>KeyScopes:MaxGraphQLBodyBytes</c>), judged, and forwarded only when allowed; upstream messages are relayed
/// frame by frame. One message in flight per direction, and each send is awaited before the next read, so a slow
/// side slows the other instead of filling memory.
/// </summary>
// Not IDisposable: the token source has no timer and the semaphores never hand out a wait handle, so there is nothing
// unmanaged to free, and disposing them while a pump still unwinds would turn a close into ObjectDisposedException.
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "See the comment above.")]
internal sealed partial class GraphQLWebSocketRelay(
    IKeyResolver cache,
    IUsageRecorder usage,
    IRateLimiter rateLimits,
    TimeProvider time,
    KeyDigest digest,
    GraphQLLimits limits,
    AcceptedDocuments documents,
    int maxMessageBytes,
    IReadOnlyCollection<GraphQLSubprotocol> offered,
    ILogger logger) : IUpgradedConnection
{
    private const int FrameBufferBytes = 16 * 1024;
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromMilliseconds(500);

    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _clientSend = new(1, 1);
    private readonly SemaphoreSlim _upstreamSend = new(1, 1);
    private WebSocket? _client;
    private WebSocket? _upstream;
    private readonly Lock _gate = new();
    private GraphQLSubprotocol _protocol;
    private int _closing;
    private string? _closeBeforeStart;

    /// <summary>Set once registered; every close goes through it so metrics see one reason per connection.</summary>
    public UpgradeRegistry.Registration? Registration { get; set; }

    public bool Started => _client is not null;

    public Task Completion => _done.Task;

    public bool StillAllowed(ApiKey key) => ScopeDecision.Allows(key.Scopes, ScopeTarget.GraphQLApi, AccessLevel.Read);

    /// <summary>
    /// Called with the client's upgraded stream and the subprotocol the upstream chose; returns the stream YARP
    /// relays to the upstream in its place.
    /// </summary>
    public Stream Attach(Stream clientStream, string? chosen)
    {
        var (yarpEnd, relayEnd) = DuplexPipeStream.CreatePair();
        var known = GraphQLUpgradeRules.TryParseSubprotocol(chosen, out _protocol) && offered.Contains(_protocol);
        string? closeBeforeStart;
        lock (_gate)
        {
            // Keep-alive pings are answered by each WebSocket itself; none are originated, so idle behaviour is the peers'.
            _upstream = WebSocket.CreateFromStream(relayEnd, new WebSocketCreationOptions { IsServer = false, SubProtocol = known ? chosen : null, KeepAliveInterval = TimeSpan.Zero });
            _client = WebSocket.CreateFromStream(clientStream, new WebSocketCreationOptions { IsServer = true, SubProtocol = known ? chosen : null, KeepAliveInterval = TimeSpan.Zero });
            closeBeforeStart = _closeBeforeStart;
        }

        if (closeBeforeStart is not null)
        {
            // The key changed between the decision and the upstream's answer: the client gets the close at once.
            _ = CloseCoreAsync(closeBeforeStart);
        }
        else if (!known)
        {
            // Fails closed: without a subprotocol the client offered and the relay knows, no message can be judged.
            Log.UnknownSubprotocol(logger);
            CloseFor("bad_subprotocol");
        }

        _ = RunAsync();
        return yarpEnd;
    }

    public void Close(string reason)
    {
        if (Interlocked.Exchange(ref _closing, 1) != 0)
        {
            return;
        }

        lock (_gate)
        {
            if (_client is null)
            {
                // Not upgraded yet: Attach closes it as soon as it is.
                _closeBeforeStart = reason;
                return;
            }
        }

        _ = CloseCoreAsync(reason);
    }

    /// <summary>Closes through the registration when there is one, so the close is counted once with its reason.</summary>
    private void CloseFor(string reason)
    {
        if (Registration is { } registration)
        {
            registration.Close(reason);
        }
        else
        {
            Close(reason);
        }
    }

    private async Task RunAsync()
    {
        try
        {
            var up = PumpClientToUpstreamAsync();
            var down = PumpUpstreamToClientAsync();
            var first = await Task.WhenAny(up, down).ConfigureAwait(false);
            if (first.IsFaulted || first.IsCanceled)
            {
                Abort();
            }
            else
            {
                // One side closed cleanly and its close was passed on; give the other side a moment to answer it.
                await Task.WhenAny(first == up ? down : up, Task.Delay(TimeSpan.FromSeconds(5), time)).ConfigureAwait(false);
                Abort();
            }

            await Task.WhenAll(up.ContinueWith(static _ => { }, TaskScheduler.Default), down.ContinueWith(static _ => { }, TaskScheduler.Default)).ConfigureAwait(false);
        }
        finally
        {
            _done.TrySetResult();
        }
    }

    private async Task PumpClientToUpstreamAsync()
    {
        var client = _client!;
        var buffer = ArrayPool<byte>.Shared.Rent(FrameBufferBytes);
        try
        {
            while (true)
            {
                var length = 0;
                ValueWebSocketReceiveResult received;
                do
                {
                    if (length == buffer.Length)
                    {
                        // One message is held whole, never more than the limit plus one byte (to see it pass).
                        var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)buffer.Length * 2, (long)maxMessageBytes + 1));
                        buffer.AsSpan(0, length).CopyTo(larger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = larger;
                    }

                    received = await client.ReceiveAsync(buffer.AsMemory(length), _stop.Token).ConfigureAwait(false);
                    if (received.MessageType == WebSocketMessageType.Close)
                    {
                        await SendCloseAsync(_upstream!, _upstreamSend, client.CloseStatus ?? WebSocketCloseStatus.NormalClosure, client.CloseStatusDescription).ConfigureAwait(false);
                        return;
                    }

                    length += received.Count;
                    if (length > maxMessageBytes)
                    {
                        CloseFor("message_too_big");
                        return;
                    }
                }
                while (!received.EndOfMessage);

                if (received.MessageType == WebSocketMessageType.Binary)
                {
                    // Both protocols are JSON text; a binary frame has no defined meaning, so nothing judges it.
                    CloseFor("binary_message");
                    return;
                }

                var verdict = GraphQLMessageJudge.Judge(buffer.AsSpan(0, length), _protocol, limits, documents);
                if (!await AllowAsync(verdict).ConfigureAwait(false))
                {
                    return;
                }

                await _upstreamSend.WaitAsync(_stop.Token).ConfigureAwait(false);
                try
                {
                    await _upstream!.SendAsync(buffer.AsMemory(0, length), WebSocketMessageType.Text, endOfMessage: true, _stop.Token).ConfigureAwait(false);
                }
                finally
                {
                    _upstreamSend.Release();
                }

                if (buffer.Length > FrameBufferBytes * 4)
                {
                    // An idle connection does not keep a large message's buffer.
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = ArrayPool<byte>.Shared.Rent(FrameBufferBytes);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Judges one client message against the key as it is now; closes the connection when it may not pass.</summary>
    private async ValueTask<bool> AllowAsync(MessageVerdict verdict)
    {
        if (verdict.Action == MessageAction.Invalid)
        {
            Log.InvalidMessage(logger, verdict.Detail ?? "");
            CloseFor("invalid_graphql");
            return false;
        }

        if (verdict.Action == MessageAction.Forward)
        {
            return true;
        }

        // Each operation is judged with the key's current state and scopes (an L1 hit, no store read).
        var lookup = await cache.LookupAsync(digest).ConfigureAwait(false);
        if (lookup.Key is not { } key)
        {
            CloseFor(lookup.Status == LookupStatus.StoreUnavailable ? "store_unavailable" : "invalid_key");
            return false;
        }

        var state = KeyState.Check(key, time.GetUtcNow());
        if (state != Verdict.Allowed)
        {
            usage.Record(key, ScopeTarget.GraphQLApi, allowed: false);
            CloseFor(state == Verdict.Disabled ? "key_disabled" : "key_expired");
            return false;
        }

        if (!AllowedIps.Allows(key.AllowedIps, Registration?.Client))
        {
            usage.Record(key, ScopeTarget.GraphQLApi, allowed: false);
            CloseFor("ip_not_allowed");
            return false;
        }

        var needed = verdict.Need == GraphQLNeed.ReadWrite ? AccessLevel.ReadWrite : AccessLevel.Read;
        if (!ScopeDecision.Allows(key.Scopes, ScopeTarget.GraphQLApi, needed))
        {
            usage.Record(key, ScopeTarget.GraphQLApi, allowed: false);
            CloseFor("scope_denied");
            return false;
        }

        // Each operation is a request to the upstream, so it spends the key's rate limits as a POST would (contract §9);
        // otherwise one upgrade would buy any number of operations. Last, as on HTTP: a refused message spends nothing.
        if (key.RateLimits.Length != 0 && !(await rateLimits.AcquireAsync(key).ConfigureAwait(false)).Admitted)
        {
            usage.RecordLimited(key, ScopeTarget.GraphQLApi);
            CloseFor("rate_limited");
            return false;
        }

        usage.Record(key, ScopeTarget.GraphQLApi, allowed: true);
        return true;
    }

    private async Task PumpUpstreamToClientAsync()
    {
        var upstream = _upstream!;
        var buffer = ArrayPool<byte>.Shared.Rent(FrameBufferBytes);
        try
        {
            while (true)
            {
                var received = await upstream.ReceiveAsync(buffer.AsMemory(), _stop.Token).ConfigureAwait(false);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    await SendCloseAsync(_client!, _clientSend, upstream.CloseStatus ?? WebSocketCloseStatus.NormalClosure, upstream.CloseStatusDescription).ConfigureAwait(false);
                    return;
                }

                await _clientSend.WaitAsync(_stop.Token).ConfigureAwait(false);
                try
                {
                    await _client!.SendAsync(buffer.AsMemory(0, received.Count), received.MessageType, received.EndOfMessage, _stop.Token).ConfigureAwait(false);
                }
                finally
                {
                    _clientSend.Release();
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 901, Level = LogLevel.Warning, Message = "The upstream chose no GraphQL WebSocket subprotocol the client offered; the connection was closed.")]
        public static partial void UnknownSubprotocol(ILogger logger);

        [LoggerMessage(EventId = 902, Level = LogLevel.Information, Message = "A GraphQL WebSocket message was refused: \"{Detail}\"")]
        public static partial void InvalidMessage(ILogger logger, string detail);
    }
}
