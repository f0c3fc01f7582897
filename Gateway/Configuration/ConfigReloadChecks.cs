using Gateway.Enforcement;
using Microsoft.Extensions.Options;

namespace Gateway.Configuration;

/// <summary>The checks a reloaded configuration must pass before <see cref="ValidatedConfiguration"/> publishes it.</summary>
internal static class ConfigReloadChecks
{
    /// <summary>
    /// Binds a fresh <typeparamref name="T"/> from the candidate's section and runs every validator registered for it
    /// (data annotations and each <c>Validate</c> rule): the same checks the start ran, on the new values.
    /// </summary>
    public static IEnumerable<string> Options<T>(IConfiguration candidate, IServiceProvider services, string section)
        where T : class, new()
    {
        var value = new T();
        try
        {
            candidate.GetSection(section).Bind(value);
        }
        catch (InvalidOperationException ex)
        {
            // A value of the wrong type ("abc" for a number). The binder names the key, not the value.
            return [ex.Message];
        }

        var problems = new List<string>();
        foreach (var validator in services.GetServices<IValidateOptions<T>>())
        {
            var result = validator.Validate(Microsoft.Extensions.Options.Options.DefaultName, value);
            if (result.Failed)
            {
                problems.AddRange(result.Failures ?? [result.FailureMessage]);
            }
        }

        return problems;
    }

    /// <summary>
    /// <c>Upstreams:&lt;clusterId&gt;:ForwardKeyId</c> must read as a bool. The binder skips a dictionary entry it cannot
    /// convert instead of failing, which would silently drop that cluster's whole section (its credential too).
    /// </summary>
    public static IEnumerable<string> Upstreams(IConfiguration candidate)
    {
        foreach (var cluster in candidate.GetSection(UpstreamOptions.Section).GetChildren())
        {
            if (cluster[nameof(UpstreamOptions.ForwardKeyId)] is { } value && !bool.TryParse(value, out _))
            {
                yield return $"{UpstreamOptions.Section}:{cluster.Key}:{nameof(UpstreamOptions.ForwardKeyId)} must be true or false.";
            }
        }
    }

    /// <summary>The gateway's own route rules (<see cref="KeyScopeRouteValidator"/>) on the candidate's routes.</summary>
    public static IEnumerable<string> Routes(IConfiguration candidate, IServiceProvider services)
    {
        foreach (var route in candidate.GetSection("ReverseProxy:Routes").GetChildren())
        {
            var metadata = route.GetSection("Metadata").GetChildren()
                .Where(entry => entry.Value is not null)
                .ToDictionary(entry => entry.Key, entry => entry.Value!, StringComparer.OrdinalIgnoreCase);
            if (KeyScopeRouteValidator.Problem(route.Key, metadata, route["Match:Path"]) is { } problem)
            {
                yield return problem;
            }
        }
    }
}

/// <summary>Starts <see cref="ValidatedConfiguration"/>'s watch of the real configuration once the host is built.</summary>
internal sealed class ConfigReloadWatcher(ValidatedConfiguration configuration, IServiceProvider services, ILogger<ValidatedConfiguration> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        configuration.Watch(services, logger);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        configuration.Dispose();
        return Task.CompletedTask;
    }
}
