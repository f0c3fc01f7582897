using Microsoft.Extensions.Options;

namespace Gateway.Configuration;

internal static class ConfigurationServiceCollectionExtensions
{
    /// <summary>
    /// The configuration every option and route reads: the last one all checks accepted (ValidatedConfiguration).
    /// Its watcher is a hosted service; hosted services start in registration order, so it is added first.
    /// </summary>
    public static ValidatedConfiguration AddValidatedConfiguration(this IServiceCollection services, IConfiguration source)
    {
        var validated = new ValidatedConfiguration(source);
        services.AddSingleton(validated);
        services.AddHostedService<ConfigReloadWatcher>();
        validated.AddCheck(ConfigReloadChecks.Routes);
        return validated;
    }

    /// <summary>
    /// Binds an options section to the validated configuration, checked at start and on every reload: every
    /// gateway options section must be added here, or a bad reload of it would not be refused. Reload checks run
    /// in the order they are added, so the order of these calls is the order problems are reported in.
    /// </summary>
    public static OptionsBuilder<T> AddValidatedOptions<T>(this IServiceCollection services, ValidatedConfiguration configuration, string section)
        where T : class, new()
    {
        configuration.AddCheck((candidate, provider) => ConfigReloadChecks.Options<T>(candidate, provider, section));
        return services.AddOptions<T>().Bind(configuration.Configuration.GetSection(section)).ValidateDataAnnotations().ValidateOnStart();
    }
}
