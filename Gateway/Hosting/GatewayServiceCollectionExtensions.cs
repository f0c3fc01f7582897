using Gateway.Abuse;
using Gateway.Admin;
using Gateway.Audit;
using Gateway.Caching;
using Gateway.ClientAddresses;
using Gateway.Configuration;
using Gateway.Enforcement;
using Gateway.GraphQL;
using Gateway.Observability;
using Gateway.RateLimiting;
using Gateway.Store;
using Gateway.Usage;
using Gateway.WebSockets;

namespace Gateway.Hosting;

public static class GatewayServiceCollectionExtensions
{
    /// <summary>Everything the gateway needs: config file, listeners, store, cache, enforcement, admin API.</summary>
    /// <remarks>
    /// Each feature registers itself from its own folder. The order matters in three ways, so add a feature with care:
    /// log redaction comes first; hosted services start in registration order (config watcher, cache invalidation,
    /// metrics, usage flusher, then the framework's); reload checks run, and report problems, in the order options
    /// are added (routes, Redis, Store, Admin, Cache, Usage, KeyScopes, GraphQL documents, Abuse, Audit, ForwardedHeaders).
    /// </remarks>
    public static WebApplicationBuilder AddGateway(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.UseGatewayConfigFile();
        var services = builder.Services;
        // Options and routes read the last valid configuration; a reload is published only when all of it is valid.
        var validated = services.AddValidatedConfiguration(builder.Configuration);

        // First, so every logger resolved from here on, the framework's included, is redacting (Observability/).
        services.AddLogRedaction();

        builder.AddListeners();
        services.AddSingleton(TimeProvider.System);
        services.AddKeyStore(validated);
        services.AddAdminApi(validated);
        services.AddKeyCaching(validated);
        services.AddGatewayMetrics();
        services.AddGatewayTracing(builder.Configuration);
        services.AddUsageCounting(validated);
        services.AddRateLimits();
        services.AddKeyEnforcement(validated);
        services.AddGraphQLDocuments(validated);
        services.AddWebSocketUpgrades();
        services.AddAbuseLimits(validated);
        services.AddAuditLog(validated);
        services.AddHealth();
        services.AddProxy(validated);
        services.AddClientAddresses(validated);
        return builder;
    }
}
