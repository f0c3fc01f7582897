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
        // Header dictionaries compare names ignoring case (Kestrel's and HeaderDictionary alike), so removing each of the
        // eight dash/underscore spellings removes every variant in every case. Named removals, not a walk over the
        // pairs: enumerating an IHeaderDictionary boxes its enumerator (about 100 bytes on Kestrel) on every request,
        // and a request without unknown headers answers each removal from Kestrel's known-header switch.
        foreach (var spelling in KeyIdSpellings)
        {
            headers.Remove(spelling);
        }
    }

    // X-Gateway-Key-Id with each of its three dashes written as '-' or '_': every name a CGI-style upstream maps to
    // HTTP_X_GATEWAY_KEY_ID (letters in any case are the dictionary's business).
    private static readonly string[] KeyIdSpellings = Spellings();

    private static string[] Spellings()
    {
        var dashes = new List<int>();
        for (var i = 0; i < KeyIdHeader.Length; i++)
        {
            if (KeyIdHeader[i] == '-')
            {
                dashes.Add(i);
            }
        }

        var spellings = new string[1 << dashes.Count];
        for (var mask = 0; mask < spellings.Length; mask++)
        {
            var name = KeyIdHeader.ToCharArray();
            for (var d = 0; d < dashes.Count; d++)
            {
                if ((mask & (1 << d)) != 0)
                {
                    name[dashes[d]] = '_';
                }
            }

            spellings[mask] = new string(name);
        }

        return spellings;
    }

    public string? For(string clusterId) =>
        options.CurrentValue.TryGetValue(clusterId, out var upstream) && !string.IsNullOrEmpty(upstream.Authorization)
            ? upstream.Authorization
            : null;

    // An unknown cluster, or one without the setting, gets no identity: the default is off.
    public bool ForwardsKeyId(string clusterId) =>
        options.CurrentValue.TryGetValue(clusterId, out var upstream) && upstream.ForwardKeyId;
}
