using Gateway.Configuration;
using Gateway.Enforcement;

namespace Gateway.Caching;

internal static class CachingServiceCollectionExtensions
{
    /// <summary>The key cache in front of the store, and the subscriber that evicts revoked keys from it.</summary>
    public static IServiceCollection AddKeyCaching(this IServiceCollection services, ValidatedConfiguration validated)
    {
        services.AddValidatedOptions<CacheOptions>(validated, CacheOptions.Section)
            .Validate(o => o.L1Ttl > TimeSpan.Zero, "Cache:L1Ttl must be positive.")
            .Validate(o => o.NegativeTtl > TimeSpan.Zero, "Cache:NegativeTtl must be positive.")
            .Validate(o => o.StaleIfErrorTtl >= TimeSpan.Zero, "Cache:StaleIfErrorTtl must not be negative.")
            .Validate(o => o.StoreTimeout > TimeSpan.Zero, "Cache:StoreTimeout must be positive.")
            .Validate(o => o.RefreshAhead is not { } ahead || (ahead >= TimeSpan.Zero && ahead < o.L1Ttl),
                "Cache:RefreshAhead must not be negative and must be shorter than Cache:L1Ttl.");
        services.AddSingleton<KeyCache>();
        services.AddSingleton<IKeyResolver>(sp => sp.GetRequiredService<KeyCache>());
        services.AddHostedService<InvalidationSubscriber>();
        return services;
    }
}
