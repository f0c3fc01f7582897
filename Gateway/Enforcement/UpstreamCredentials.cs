using Gateway.Configuration;
using Microsoft.Extensions.Options;

namespace Gateway.Enforcement;

/// <summary><c>Upstreams:&lt;clusterId&gt;</c> (<c>Authorization</c>, <c>ForwardKeyId</c>), re-read when the config file changes.</summary>
public sealed class UpstreamCredentials(IOptionsMonitor<Dictionary<string, UpstreamOptions>> options)
{
    /// <summary>The header that names the judged key to the upstream; a client's own is always removed.</summary>
    public const string KeyIdHeader = "X-Gateway-Key-Id";

    /// <summary>
    /// Whether a header the client sent is a spelling of <see cref="KeyIdHeader"/>, given its name upper-cased with every
    /// '_' written as '-': CGI-style upstreams (WSGI, Rack, PHP) read <c>X_Gateway_Key_Id</c> and <c>X-Gateway-Key-Id</c>
    /// as the same <c>HTTP_X_GATEWAY_KEY_ID</c>, so a variant left in would let a client name any key to them. Fails
    /// closed: every spelling such an upstream could confuse with the gateway's header is removed, in any letter case
    /// (<see cref="ClientHeaderHygiene"/>).
    /// </summary>
    internal static bool IsKeyIdSpelling(ReadOnlySpan<char> normalized) => normalized.SequenceEqual(KeyIdNormalized);

    private const string KeyIdNormalized = "X-GATEWAY-KEY-ID";

    public string? For(string clusterId) =>
        options.CurrentValue.TryGetValue(clusterId, out var upstream) && !string.IsNullOrEmpty(upstream.Authorization)
            ? upstream.Authorization
            : null;

    // An unknown cluster, or one without the setting, gets no identity: the default is off.
    public bool ForwardsKeyId(string clusterId) =>
        options.CurrentValue.TryGetValue(clusterId, out var upstream) && upstream.ForwardKeyId;
}
