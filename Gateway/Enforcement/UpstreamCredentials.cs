using Gateway.Configuration;
using Microsoft.Extensions.Options;

namespace Gateway.Enforcement;

/// <summary><c>Upstreams:&lt;clusterId&gt;</c> (<c>Authorization</c>, <c>ForwardKeyId</c>), re-read when the config file changes.</summary>
public sealed class UpstreamCredentials(IOptionsMonitor<Dictionary<string, UpstreamOptions>> options)
{
    /// <summary>The header that names the judged key to the upstream; a client's own is always removed.</summary>
    public const string KeyIdHeader = "X-Gateway-Key-Id";

    /// <summary>
    /// Removes the client's own <see cref="KeyIdHeader"/>, in any letter case and with any dash written as an underscore:
    /// CGI-style upstreams (WSGI, Rack, PHP) read <c>X_Gateway_Key_Id</c> and <c>X-Gateway-Key-Id</c> as the same
    /// <c>HTTP_X_GATEWAY_KEY_ID</c>, so a variant left in would let a client name any key to them. Fails closed: every
    /// spelling such an upstream could confuse with the gateway's header goes.
    /// </summary>
    public static void RemoveClientKeyId(IHeaderDictionary headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        headers.Remove(KeyIdHeader);
        List<string>? variants = null;
        // The pairs, not Keys: Kestrel builds a new collection of every name for Keys, on each request.
        foreach (var header in headers)
        {
            if (header.Key.Length == KeyIdHeader.Length && IsVariant(header.Key))
            {
                (variants ??= []).Add(header.Key);
            }
        }

        foreach (var name in variants ?? [])
        {
            headers.Remove(name);
        }
    }

    private static bool IsVariant(string name)
    {
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i] == '_' ? '-' : char.ToUpperInvariant(name[i]);
            if (c != char.ToUpperInvariant(KeyIdHeader[i]))
            {
                return false;
            }
        }

        return true;
    }

    public string? For(string clusterId) =>
        options.CurrentValue.TryGetValue(clusterId, out var upstream) && !string.IsNullOrEmpty(upstream.Authorization)
            ? upstream.Authorization
            : null;

    // An unknown cluster, or one without the setting, gets no identity: the default is off.
    public bool ForwardsKeyId(string clusterId) =>
        options.CurrentValue.TryGetValue(clusterId, out var upstream) && upstream.ForwardKeyId;
}
