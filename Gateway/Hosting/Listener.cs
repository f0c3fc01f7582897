using Microsoft.AspNetCore.Connections.Features;

namespace Gateway.Hosting;

/// <summary>The two Kestrel listeners. Each connection is tagged with the one it arrived on.</summary>
public enum Listener : byte
{
    Proxy,
    Admin,
}

public static class Listeners
{
    public const string ProxyName = "Proxy";
    public const string AdminName = "Admin";
    public const string DefaultProxyUrl = "http://127.0.0.1:8080";
    public const string DefaultAdminUrl = "http://127.0.0.1:8081";
    private const string ItemKey = "gateway.listener";

    public static void Tag(IDictionary<object, object?> connectionItems, Listener listener) => connectionItems[ItemKey] = listener;

    /// <summary>The listener a request came in on; an untagged connection counts as the proxy (the less privileged).</summary>
    public static Listener Of(HttpContext context) =>
        context.Features.Get<IConnectionItemsFeature>()?.Items is { } items && items.TryGetValue(ItemKey, out var value) && value is Listener listener
            ? listener
            : Listener.Proxy;
}

/// <summary>Endpoint metadata: served on the admin listener only.</summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method)]
public sealed class AdminListenerOnlyAttribute : Attribute;
