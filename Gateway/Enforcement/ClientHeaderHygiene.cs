using Gateway.ClientAddresses;
using Microsoft.Extensions.Primitives;

namespace Gateway.Enforcement;

/// <summary>
/// Removes the headers a client may not send on to an upstream: its own <see cref="UpstreamCredentials.KeyIdHeader"/>
/// and the client-address headers (<see cref="ClientAddressHeaders"/>), in every letter case and with any '-' written
/// as '_'. Fails closed: a header whose name could be one of them is never skipped; only a request whose every header is
/// accounted for as another (common) one skips the walk.
/// </summary>
/// <remarks>
/// Walking an <see cref="IHeaderDictionary"/> boxes its enumerator (32 B on <c>DefaultHttpContext</c>, more on
/// Kestrel), and removing the key id's eight spellings by name cost eight lookups. Most requests carry only common
/// headers (Host, User-Agent, Accept, ...), which <see cref="IHeaderDictionary"/>'s typed properties read without
/// a walk (on Kestrel, a bit test each). When those account for <see cref="ICollection{T}.Count"/>, no other name is
/// present and there is nothing to remove. When they do not, one walk finds both kinds of header.
/// </remarks>
internal static class ClientHeaderHygiene
{
    // Names that are none of the removed ones, most common first (not Authorization: removed just before); the walk is skipped once they account for every
    // header. Reading a typed property can only say "present" for a header the dictionary holds and counts, so a count
    // they reach proves no other name is there (an absent, empty or uncounted header only sends the request to the walk).
    private static readonly Func<IHeaderDictionary, StringValues>[] Common =
    [
        static h => h.Host, static h => h.UserAgent, static h => h.Accept, static h => h.ContentType,
        static h => h.AcceptEncoding, static h => h.Connection, static h => h.AcceptLanguage,
        static h => h.TraceParent, static h => h.TraceState, static h => h.CacheControl, static h => h.Cookie,
        static h => h.Origin, static h => h.Referer, static h => h.Pragma, static h => h.TransferEncoding,
        static h => h.Expect, static h => h.Upgrade,
    ];

    public static void RemoveFromClient(IHeaderDictionary headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        if (!OnlyCommonHeaders(headers))
        {
            Walk(headers);
        }
    }

    /// <summary>True only when every header the dictionary counts is one of <see cref="Common"/> or Content-Length.</summary>
    internal static bool OnlyCommonHeaders(IHeaderDictionary headers)
    {
        var count = headers.Count;
        var accounted = headers.ContentLength.HasValue ? 1 : 0;
        if (accounted == count)
        {
            return true;
        }

        foreach (var read in Common)
        {
            if (read(headers).Count != 0 && ++accounted == count)
            {
                return true;
            }
        }

        return false;
    }

    private static void Walk(IHeaderDictionary headers)
    {
        List<string>? found = null;
        Span<char> normalized = stackalloc char[ClientAddressHeaders.LongestName];
        // The pairs, not Keys: Kestrel builds a new collection of every name for Keys, on each request.
        foreach (var header in headers)
        {
            var name = header.Key;
            if (name.Length is < ClientAddressHeaders.ShortestName or > ClientAddressHeaders.LongestName)
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
            if (UpstreamCredentials.IsKeyIdSpelling(key) || ClientAddressHeaders.IsClientsOwn(key, underscore))
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
