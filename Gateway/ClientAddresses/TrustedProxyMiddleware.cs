using Gateway.Keys;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace Gateway.ClientAddresses;

/// <summary>
/// The first step of the proxy pipeline: sets the request's client address (<c>Connection.RemoteIpAddress</c>) with
/// ASP.NET Core's own <see cref="ForwardedHeadersMiddleware"/>, trusting only the configured proxies. Everything after
/// it (the allow-list check, the failed-key limiter, YARP's <c>X-Forwarded-For</c>) reads the result. Runs on the proxy
/// listener only: admin clients are judged by their peer address (README, "Client addresses").
/// </summary>
internal sealed class TrustedProxyMiddleware
{
    private readonly RequestDelegate _next;
    private readonly ILoggerFactory _loggers;
    private readonly IDisposable? _subscription;
    private volatile RequestDelegate _current;

    public TrustedProxyMiddleware(RequestDelegate next, ILoggerFactory loggers, IOptionsMonitor<ForwardedHeadersSettings> settings)
    {
        _next = next;
        _loggers = loggers;
        _current = Build(settings.CurrentValue);
        // A reload is published only when valid (Configuration/ValidatedConfiguration); the new trust applies to the
        // next request. The middleware lives as long as the app, so the subscription does too.
        _subscription = settings.OnChange(changed => _current = Build(changed));
    }

    public Task Invoke(HttpContext context) => _current(context);

    private RequestDelegate Build(ForwardedHeadersSettings settings)
    {
        if (settings.KnownProxies.Count == 0 && settings.KnownNetworks.Count == 0)
        {
            // No proxy is trusted: the peer is the client, and no header is read (cheaper than the middleware finding no match).
            return _next;
        }

        var options = new ForwardedHeadersOptions
        {
            // Only the client address: scheme and host stay the connection's, since nothing here needs them.
            ForwardedHeaders = ForwardedHeaders.XForwardedFor,
            ForwardLimit = settings.ForwardLimit,
        };

        // ASP.NET Core trusts loopback by default; the contract trusts only what the configuration lists.
        options.KnownProxies.Clear();
        options.KnownIPNetworks.Clear();
        foreach (var proxy in settings.KnownProxies)
        {
            // Validated at start and on reload (ForwardedHeadersSettingsValidator), so each entry parses.
            _ = AllowedIps.ParseEntry(proxy, out var block);
            options.KnownProxies.Add(block.BaseAddress);
        }

        foreach (var network in settings.KnownNetworks)
        {
            _ = AllowedIps.ParseEntry(network, out var block);
            options.KnownIPNetworks.Add(block);
        }

        return new ForwardedHeadersMiddleware(_next, _loggers, Options.Create(options)).Invoke;
    }
}
