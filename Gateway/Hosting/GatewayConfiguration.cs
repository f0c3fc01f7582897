using Gateway.Configuration;
using Microsoft.Extensions.Configuration.Json;

namespace Gateway.Hosting;

internal static class GatewayConfiguration
{
    /// <summary>
    /// Makes THE config file (README, "Configuration") the JSON source, reloaded on change, below environment variables and
    /// the command line; adds the listener defaults beneath everything.
    /// </summary>
    public static string? UseGatewayConfigFile(this WebApplicationBuilder builder)
    {
        var sources = builder.Configuration.Sources;
        var explicitPath = builder.Configuration[ConfigFileLocator.EnvironmentVariable];
        var path = ConfigFileLocator.Locate(explicitPath, Directory.GetCurrentDirectory(), AppContext.BaseDirectory);

        var firstJson = -1;
        for (var i = sources.Count - 1; i >= 0; i--)
        {
            if (sources[i] is JsonConfigurationSource)
            {
                sources.RemoveAt(i);
                firstJson = i;
            }
        }

        var insertAt = firstJson < 0 ? 0 : firstJson;
        if (path is not null)
        {
            var file = new JsonConfigurationSource { Path = path, Optional = false, ReloadOnChange = true };
            file.ResolveFileProvider();
            sources.Insert(insertAt, file);
        }

        sources.Insert(0, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource
        {
            InitialData = new Dictionary<string, string?>
            {
                [$"Kestrel:Endpoints:{Listeners.ProxyName}:Url"] = Listeners.DefaultProxyUrl,
                [$"Kestrel:Endpoints:{Listeners.AdminName}:Url"] = Listeners.DefaultAdminUrl,
            },
        });

        // The sources changed under a live ConfigurationManager; it rebuilds its view as sources are edited.
        return path;
    }
}
