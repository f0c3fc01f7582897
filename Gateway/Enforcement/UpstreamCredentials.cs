using Gateway.Configuration;
using Microsoft.Extensions.Options;

namespace Gateway.Enforcement;

/// <summary><c>Upstreams:&lt;clusterId&gt;</c> (<c>Authorization</c>, <c>ForwardKeyId</c>), re-read when the config file changes.</summary>
public sealed class UpstreamCredentials(IOptionsMonitor<Dictionary<string, UpstreamOptions>> options)
{
    /// <summary>The header that names the judged key to the upstream; a client's own is always removed.</summary>
    public const string KeyIdHeader = "X-Gateway-Key-Id";

    public string? For(string clusterId) =>
        options.CurrentValue.TryGetValue(clusterId, out var upstream) && !string.IsNullOrEmpty(upstream.Authorization)
            ? upstream.Authorization
            : null;

    // An unknown cluster, or one without the setting, gets no identity: the default is off.
    public bool ForwardsKeyId(string clusterId) =>
        options.CurrentValue.TryGetValue(clusterId, out var upstream) && upstream.ForwardKeyId;
}
