using Gateway.Configuration;
using Microsoft.Extensions.Options;

namespace Gateway.Enforcement;

/// <summary><c>Upstreams:&lt;clusterId&gt;:Authorization</c>, re-read when the config file changes.</summary>
public sealed class UpstreamCredentials(IOptionsMonitor<Dictionary<string, UpstreamOptions>> options)
{
    public string? For(string clusterId) =>
        options.CurrentValue.TryGetValue(clusterId, out var upstream) && !string.IsNullOrEmpty(upstream.Authorization)
            ? upstream.Authorization
            : null;
}
