using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Gateway.Hosting;

/// <summary>The listeners' actual addresses once bound (a configured port 0 becomes a real one).</summary>
public sealed class ListenerEndpoints
{
    internal ListenOptions? Proxy { get; set; }

    internal ListenOptions? Admin { get; set; }

    public Uri? ProxyUri => UriOf(Proxy);

    public Uri? AdminUri => UriOf(Admin);

    private static Uri? UriOf(ListenOptions? options) =>
        options?.IPEndPoint is { } endpoint ? new Uri($"http://{endpoint}") : null;
}
