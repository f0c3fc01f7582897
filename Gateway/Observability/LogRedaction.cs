using System.Text;
using System.Text.RegularExpressions;
using Gateway.Enforcement;

namespace Gateway.Observability;

/// <summary>
/// Removes credentials from log text the gateway does not write itself: ASP.NET Core's request lines carry the
/// query (so <c>api_key</c>), and Kestrel's bad-request errors quote the request line or a header line (so
/// <c>Authorization</c>). Redacted: the value of every <c>api_key</c> query parameter (any letter case, any
/// encoding of its name), the rest of any line after the word <c>Authorization</c>, every <c>rpa_</c> key, and
/// every 64-digit hex run (a key's SHA-256 is its store record's name). Over-redaction is the safe side.
/// </summary>
public static partial class LogRedaction
{
    public const string Redacted = "[redacted]";

    /// <summary>Whether <paramref name="text"/> may hold something <see cref="Redact"/> removes; false is certain.</summary>
    public static bool MayHold(string? text) =>
        text is not null
        && (text.Contains('%')
            || text.Contains(CredentialExtractor.QueryParameter, StringComparison.OrdinalIgnoreCase)
            || text.Contains("api.key", StringComparison.OrdinalIgnoreCase)
            || text.Contains("api+key", StringComparison.OrdinalIgnoreCase)
            || text.Contains("uthorization", StringComparison.OrdinalIgnoreCase)
            || text.Contains("rpa_", StringComparison.Ordinal)
            || HasHexRun(text));

    /// <summary><paramref name="text"/> with every credential it may hold replaced by <see cref="Redacted"/>.</summary>
    public static string Redact(string text)
    {
        if (!MayHold(text))
        {
            return text;
        }

        text = RedactApiKeyParameters(text);
        text = AuthorizationLine().Replace(text, "$1" + Redacted);
        text = RpaKey().Replace(text, "rpa_" + Redacted);
        return HexRun().Replace(text, Redacted);
    }

    // A query parameter starts after '?', '&' or ';' (parsers that split on ';' read a parameter there); its value runs
    // to the next '&' or white space. Not to '#': a raw '#' in a request target reaches the query parser, which takes
    // it as part of the value, so a legacy key holding '#' is read whole as the key and must be redacted whole.
    private static string RedactApiKeyParameters(string text)
    {
        StringBuilder? result = null;
        var copied = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] is not ('?' or '&' or ';'))
            {
                continue;
            }

            var nameEnd = i + 1;
            while (nameEnd < text.Length && text[nameEnd] is not ('=' or '&' or '#') && !char.IsWhiteSpace(text[nameEnd]))
            {
                nameEnd++;
            }

            if (nameEnd >= text.Length || text[nameEnd] != '=' || !ReadsAsApiKey(text.AsSpan(i + 1, nameEnd - i - 1)))
            {
                continue;
            }

            var valueEnd = nameEnd + 1;
            while (valueEnd < text.Length && text[valueEnd] != '&' && !char.IsWhiteSpace(text[valueEnd]))
            {
                valueEnd++;
            }

            result ??= new StringBuilder(text.Length);
            result.Append(text, copied, nameEnd + 1 - copied).Append(Redacted);
            copied = valueEnd;
            i = valueEnd - 1;
        }

        return result is null ? text : result.Append(text, copied, text.Length - copied).ToString();
    }

    /// <summary>
    /// Whether a parameter name is <c>api_key</c> to the gateway, or to a common upstream parser: PHP trims leading
    /// spaces, reads <c>.</c> and space as <c>_</c> and <c>api_key[]</c> as <c>api_key</c>; C-based parsers stop at a NUL;
    /// some trim trailing white space. Such a parameter is not the gateway's key, but it is a client's key all the same.
    /// </summary>
    private static bool ReadsAsApiKey(ReadOnlySpan<char> encodedName)
    {
        if (CredentialExtractor.IsApiKeyName(encodedName))
        {
            return true;
        }

        var name = Uri.UnescapeDataString(encodedName.ToString().Replace('+', ' ')).AsSpan();
        var end = name.IndexOfAny('\0', '[');
        name = (end < 0 ? name : name[..end]).Trim();
        const string Wanted = CredentialExtractor.QueryParameter;
        if (name.Length != Wanted.Length)
        {
            return false;
        }

        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i] is '.' or ' ' ? '_' : char.ToLowerInvariant(name[i]);
            if (c != Wanted[i])
            {
                return false;
            }
        }

        return true;
    }

    private static bool HasHexRun(string text)
    {
        var run = 0;
        foreach (var c in text)
        {
            run = char.IsAsciiHexDigit(c) ? run + 1 : 0;
            if (run == 64)
            {
                return true;
            }
        }

        return false;
    }

    // Up to the end of the line: a header value holds no line break, and Kestrel writes CR LF as \x0D\x0A text.
    [GeneratedRegex(@"(authorization\s*:?\s*)[^\r\n]*", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex AuthorizationLine();

    [GeneratedRegex("rpa_[0-9A-Za-z]+", RegexOptions.CultureInvariant)]
    private static partial Regex RpaKey();

    [GeneratedRegex("(?<![0-9A-Fa-f])[0-9A-Fa-f]{64,}(?![0-9A-Fa-f])", RegexOptions.CultureInvariant)]
    private static partial Regex HexRun();
}
