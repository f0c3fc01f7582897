using Gateway.Configuration;

namespace Gateway.Admin;

internal static class AdminServiceCollectionExtensions
{
    /// <summary>The admin API's options and its bearer token (mapped by MapGateway on the admin listener).</summary>
    public static IServiceCollection AddAdminApi(this IServiceCollection services, ValidatedConfiguration validated)
    {
        services.AddValidatedOptions<AdminOptions>(validated, AdminOptions.Section);
        services.AddSingleton<AdminToken>();
        return services;
    }
}
