using Gateway.Configuration;
using Microsoft.Extensions.Options;

namespace Gateway.ClientAddresses;

internal static class ClientAddressesServiceCollectionExtensions
{
    /// <summary>The trusted proxies of the proxy listener (<see cref="TrustedProxyMiddleware"/>), validated at start and on reload.</summary>
    public static IServiceCollection AddClientAddresses(this IServiceCollection services, ValidatedConfiguration validated)
    {
        services.AddSingleton<IValidateOptions<ForwardedHeadersSettings>, ForwardedHeadersSettingsValidator>();
        services.AddValidatedOptions<ForwardedHeadersSettings>(validated, ForwardedHeadersSettings.Section);
        return services;
    }
}
