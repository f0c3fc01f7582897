using Gateway.Caching;
using Gateway.Configuration;
using Gateway.Enforcement;
using Gateway.GraphQL;
using Gateway.Keys;
using Gateway.RateLimiting;
using Gateway.Usage;
using Microsoft.Extensions.Options;

namespace Gateway.WebSockets;

/// <summary>
/// Runs an upgrade the enforcement step has allowed: registers it under its key for the whole life of the
/// connection, and on GraphQL routes puts the judging relay between the client and YARP.
/// </summary>
internal sealed class UpgradeGate(
    UpgradeRegistry registry,
    IKeyResolver cache,
    IUsageRecorder usage,
    IRateLimiter rateLimits,
    IOptionsMonitor<KeyScopesOptions> options,
    TimeProvider time,
    AcceptedDocuments documents,
    ILogger<GraphQLWebSocketRelay> relayLogger)
{
    public const string EndpointKind = "endpoint";
    public const string GraphQLKind = "graphql";

    // Past this after the relay ended, a forwarder still waiting on an upstream that ignored the close is cut off.
    private static readonly TimeSpan ForwarderGrace = TimeSpan.FromSeconds(2);

    /// <summary>Whether upgrades on GraphQL routes are judged (the default) or refused. Anything but "judged" refuses.</summary>
    public bool GraphQLJudged => string.Equals(Current().GraphQLWebSockets, KeyScopesOptions.GraphQLWebSocketsJudged, StringComparison.Ordinal);

    // A reload with an invalid value is never published (Configuration/ValidatedConfiguration), so this is always the
    // last valid KeyScopes section.
    private KeyScopesOptions Current() => options.CurrentValue;

    /// <summary>An endpoint route's upgrade is an opaque tunnel: it is closed by aborting the request, both ways.</summary>
    public async Task TunnelAsync(HttpContext context, ApiKey key, KeyDigest digest, ScopeTarget target, RequestDelegate next)
    {
        using var registration = registry.Register(digest, key, EndpointKind, new Tunnel(context, target), context.Connection.RemoteIpAddress);
        await next(context).ConfigureAwait(false);
    }

    public async Task RelayAsync(HttpContext context, ApiKey key, KeyDigest digest, IReadOnlyCollection<GraphQLSubprotocol> offered, RequestDelegate next)
    {
        // Compression is not negotiated: the relay would have to inflate every client frame to judge it.
        context.Request.Headers.Remove("Sec-WebSocket-Extensions");
        var limits = Current();
        var relay = new GraphQLWebSocketRelay(cache, usage, rateLimits, time, digest, limits.GraphQLLimits, documents, limits.MaxGraphQLBodyBytes, offered, relayLogger);
        using var registration = registry.Register(digest, key, GraphQLKind, relay, context.Connection.RemoteIpAddress);
        relay.Registration = registration;
        RelayedUpgradeFeature.Install(context, relay);

        var forward = next(context);
        if (await Task.WhenAny(forward, relay.Completion).ConfigureAwait(false) != forward)
        {
            // The relay is done (its sockets closed or aborted); YARP normally ends as soon as the upstream hangs up.
            if (await Task.WhenAny(forward, Task.Delay(ForwarderGrace, time)).ConfigureAwait(false) != forward)
            {
                context.Abort();
            }
        }

        await forward.ConfigureAwait(false);
        if (relay.Started)
        {
            await relay.Completion.ConfigureAwait(false);
        }
    }

    private sealed class Tunnel(HttpContext context, ScopeTarget target) : IUpgradedConnection
    {
        public bool StillAllowed(ApiKey key) => ScopeDecision.Allows(key.Scopes, target, AccessLevel.ReadWrite);

        // Aborting the request ends YARP's copy in both directions and disposes its upstream connection.
        public void Close(string reason) => context.Abort();
    }
}
