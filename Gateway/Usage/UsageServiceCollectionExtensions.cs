using Gateway.Configuration;
using Microsoft.Extensions.Options;

namespace Gateway.Usage;

internal static class UsageServiceCollectionExtensions
{
    /// <summary>Per-key usage counters (or none when Usage:Enabled is false) and the flusher that stores them.</summary>
    public static IServiceCollection AddUsageCounting(this IServiceCollection services, ValidatedConfiguration validated)
    {
        services.AddValidatedOptions<UsageOptions>(validated, UsageOptions.Section)
            .Validate(o => o.FlushInterval > TimeSpan.Zero, "Usage:FlushInterval must be positive.");
        services.AddSingleton<UsageCounters>();
        services.AddSingleton<IUsageRecorder>(sp => sp.GetRequiredService<IOptions<UsageOptions>>().Value.Enabled
            ? sp.GetRequiredService<UsageCounters>()
            : NoUsage.Instance);
        services.AddSingleton<UsageStore>();
        services.AddSingleton<UsageFlusher>();
        services.AddHostedService(sp => sp.GetRequiredService<UsageFlusher>());
        services.AddHostedService<UsageDayIndexOnReconnect>();
        return services;
    }
}
