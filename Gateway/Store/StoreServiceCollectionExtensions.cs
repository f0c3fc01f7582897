using Gateway.Configuration;

namespace Gateway.Store;

internal static class StoreServiceCollectionExtensions
{
    /// <summary>The key store: Redis, or the embedded store when no connection string is set.</summary>
    public static IServiceCollection AddKeyStore(this IServiceCollection services, ValidatedConfiguration validated)
    {
        services.AddValidatedOptions<RedisOptions>(validated, RedisOptions.Section)
            .Validate(o => !string.IsNullOrEmpty(o.KeyPrefix), "Redis:KeyPrefix must not be empty.");
        services.AddValidatedOptions<StoreOptions>(validated, StoreOptions.Section)
            .Validate(o => !string.IsNullOrWhiteSpace(o.DataDirectory), "Store:DataDirectory must not be empty.");
        services.AddSingleton<StoreConnection>();
        services.AddSingleton<KeyStore>();
        // Builds the admin list's index once for keys made before it existed (idempotent across instances).
        services.AddHostedService<KeyIndexBuilder>();
        return services;
    }
}
