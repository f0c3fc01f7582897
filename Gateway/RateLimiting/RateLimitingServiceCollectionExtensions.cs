namespace Gateway.RateLimiting;

internal static class RateLimitingServiceCollectionExtensions
{
    /// <summary>The per-key limiter (contract §9), its Redis script and the sweeper that gives unused leases back.</summary>
    public static IServiceCollection AddRateLimits(this IServiceCollection services)
    {
        services.AddSingleton<RateLimitStore>();
        services.AddSingleton<RateLimiter>();
        services.AddSingleton<IRateLimiter>(sp => sp.GetRequiredService<RateLimiter>());
        services.AddHostedService<RateLimitSweeper>();
        return services;
    }
}
