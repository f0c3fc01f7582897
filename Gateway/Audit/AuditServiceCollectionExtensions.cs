using Gateway.Configuration;

namespace Gateway.Audit;

internal static class AuditServiceCollectionExtensions
{
    /// <summary>The audit log of admin changes.</summary>
    public static IServiceCollection AddAuditLog(this IServiceCollection services, ValidatedConfiguration validated)
    {
        services.AddValidatedOptions<AuditOptions>(validated, AuditOptions.Section);
        services.AddSingleton<AuditLog>();
        return services;
    }
}
