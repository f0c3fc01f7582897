namespace Gateway.WebSockets;

internal static class WebSocketsServiceCollectionExtensions
{
    /// <summary>The registry of open upgraded connections (closed when their key is revoked) and the gate in front of it.</summary>
    public static IServiceCollection AddWebSocketUpgrades(this IServiceCollection services)
    {
        services.AddSingleton<UpgradeRegistry>();
        services.AddSingleton<UpgradeGate>();
        return services;
    }
}
