namespace Gateway.ClientAddresses;

/// <summary>
/// Client-address headers a client could use to lie to an upstream. YARP sets <c>X-Forwarded-For</c>, <c>-Host</c>,
/// <c>-Proto</c> and <c>-Prefix</c> from what the gateway judged, but forwarded <c>X-Real-IP</c>, <c>True-Client-IP</c>
/// and the like unchanged, and an <c>X_Forwarded_For</c> beside its own <c>X-Forwarded-For</c>, which CGI-style upstreams
/// (WSGI, Rack, PHP) read as the same <c>HTTP_X_FORWARDED_FOR</c>. An upstream that trusts any of them for its own
/// address checks, limits or logs would take the client's word for its address. Fails closed: every such header goes;
/// the upstream learns the client address from the gateway's <c>X-Forwarded-For</c> only.
/// </summary>
internal static class ClientAddressHeaders
{
    // Upper case, '-' for '_': how a CGI-style upstream sees them all.
    private static readonly HashSet<string> Names = new(StringComparer.Ordinal)
    {
        "X-REAL-IP", "TRUE-CLIENT-IP", "X-CLIENT-IP", "CF-CONNECTING-IP", "FASTLY-CLIENT-IP", "X-CLUSTER-CLIENT-IP",
        "X-ORIGINAL-FORWARDED-FOR", "X-FORWARDED", "FORWARDED-FOR", "X-FORWARDED-FOR", "X-FORWARDED-HOST",
        "X-FORWARDED-PROTO", "X-FORWARDED-PREFIX", "X-FORWARDED-PORT", "X-FORWARDED-SERVER",
    };

    // YARP sets these itself after this step; only their underscore spellings are the client's.
    private static readonly HashSet<string> SetByTheProxy = new(StringComparer.Ordinal)
    {
        "X-FORWARDED-FOR", "X-FORWARDED-HOST", "X-FORWARDED-PROTO", "X-FORWARDED-PREFIX",
    };

    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> NamesBySpan = Names.GetAlternateLookup<ReadOnlySpan<char>>();
    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> SetByTheProxyBySpan = SetByTheProxy.GetAlternateLookup<ReadOnlySpan<char>>();
    private const int LongestName = 24;

    /// <summary>Removes every client-address header the client sent that the gateway does not set itself.</summary>
    public static void RemoveFromClient(IHeaderDictionary headers)
    {
        List<string>? found = null;
        Span<char> normalized = stackalloc char[LongestName];
        // The pairs, not Keys: Kestrel builds a new collection of every name for Keys, on each request.
        foreach (var header in headers)
        {
            var name = header.Key;
            if (name.Length is < 9 or > LongestName)
            {
                continue;
            }

            var underscore = false;
            for (var i = 0; i < name.Length; i++)
            {
                underscore |= name[i] == '_';
                normalized[i] = name[i] == '_' ? '-' : char.ToUpperInvariant(name[i]);
            }

            var key = normalized[..name.Length];
            if (NamesBySpan.Contains(key) && (underscore || !SetByTheProxyBySpan.Contains(key)))
            {
                (found ??= []).Add(name);
            }
        }

        foreach (var name in found ?? [])
        {
            headers.Remove(name);
        }
    }
}
