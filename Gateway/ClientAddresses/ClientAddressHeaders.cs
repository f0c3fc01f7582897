namespace Gateway.ClientAddresses;

/// <summary>
/// Client-address headers a client could use to lie to an upstream. YARP sets <c>X-Forwarded-For</c>, <c>-Host</c>,
/// <c>-Proto</c> and <c>-Prefix</c> from what the gateway judged, but forwarded <c>X-Real-IP</c>, <c>True-Client-IP</c>
/// and the like unchanged, and an <c>X_Forwarded_For</c> beside its own <c>X-Forwarded-For</c>, which CGI-style upstreams
/// (WSGI, Rack, PHP) read as the same <c>HTTP_X_FORWARDED_FOR</c>. An upstream that trusts any of them for its own
/// address checks, limits or logs would take the client's word for its address. Fails closed: every such header goes;
/// the upstream learns the client address from the gateway's <c>X-Forwarded-For</c> only. Removed, with the other
/// headers a client may not send on, by <see cref="Enforcement.ClientHeaderHygiene"/>.
/// </summary>
internal static class ClientAddressHeaders
{
    // Upper case, '-' for '_': how a CGI-style upstream sees them all.
    private static readonly HashSet<string> Names = new(StringComparer.Ordinal)
    {
        "X-REAL-IP", "TRUE-CLIENT-IP", "X-CLIENT-IP", "CF-CONNECTING-IP", "FASTLY-CLIENT-IP", "X-CLUSTER-CLIENT-IP",
        "X-ORIGINAL-FORWARDED-FOR", "X-FORWARDED", "FORWARDED-FOR", "X-FORWARDED-FOR", "X-FORWARDED-HOST",
        "X-FORWARDED-PROTO", "X-FORWARDED-PREFIX", "X-FORWARDED-PORT", "X-FORWARDED-SERVER",
        // Found by the 1 Dec attack (SECURITY.md 22): PHP's common "client IP" idiom reads HTTP_CLIENT_IP first; ASP.NET
        // Core's forwarded-headers step writes X-Original-For; the rest are read by mail, Envoy, Azure and proxy software.
        "CLIENT-IP", "X-ORIGINAL-FOR", "X-ORIGINATING-IP", "X-REMOTE-IP", "X-REMOTE-ADDR", "X-PROXYUSER-IP",
        "X-ENVOY-EXTERNAL-ADDRESS", "X-AZURE-CLIENTIP", "X-AZURE-SOCKETIP",
    };

    // YARP sets these itself after this step; only their underscore spellings are the client's.
    private static readonly HashSet<string> SetByTheProxy = new(StringComparer.Ordinal)
    {
        "X-FORWARDED-FOR", "X-FORWARDED-HOST", "X-FORWARDED-PROTO", "X-FORWARDED-PREFIX",
    };

    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> NamesBySpan = Names.GetAlternateLookup<ReadOnlySpan<char>>();
    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> SetByTheProxyBySpan = SetByTheProxy.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>The lengths of the shortest and the longest name above.</summary>
    public const int ShortestName = 9, LongestName = 24;

    /// <summary>
    /// Whether a header the client sent is one to remove, given its name upper-cased with every '_' written as '-'
    /// (<paramref name="underscore"/>: the name as sent had one).
    /// </summary>
    public static bool IsClientsOwn(ReadOnlySpan<char> normalized, bool underscore) =>
        NamesBySpan.Contains(normalized) && (underscore || !SetByTheProxyBySpan.Contains(normalized));
}
