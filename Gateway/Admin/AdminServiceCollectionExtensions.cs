using Gateway.Configuration;
using Microsoft.Extensions.Options;

namespace Gateway.Admin;

internal static class AdminServiceCollectionExtensions
{
    /// <summary>The admin API's options and credentials (mapped by MapGateway on the admin listener).</summary>
    public static IServiceCollection AddAdminApi(this IServiceCollection services, ValidatedConfiguration validated)
    {
        // Registered before the options: the reload check runs every IValidateOptions<AdminOptions> it finds.
        services.AddSingleton<IValidateOptions<AdminOptions>, AdminOptionsValidator>();
        services.AddValidatedOptions<AdminOptions>(validated, AdminOptions.Section);
        services.AddSingleton<AdminCredentials>();
        services.AddAdminOpenApi();
        return services;
    }
}
