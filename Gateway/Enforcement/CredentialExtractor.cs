
namespace Gateway.Enforcement;

public enum CredentialStatus : byte
{
    Missing,
    Present,
    Ambiguous,
}

/// <summary>The key a request presents, as a slice of the header or parameter it came in (no copy).</summary>
public readonly struct Credential(CredentialStatus status, string? source, int start, int length)
{
    public CredentialStatus Status { get; } = status;

    public ReadOnlySpan<char> Key => source.AsSpan(start, length);
}

/// <summary>
/// Reads the key from <c>Authorization: Bearer &lt;key&gt;</c>, a bare <c>Authorization: &lt;key&gt;</c>, or the
/// <c>api_key</c> query parameter. Every place is read: the same key twice is fine, two different keys are ambiguous.
/// </summary>
public static class CredentialExtractor
{
    public const string QueryParameter = "api_key";
    private const string Bearer = "Bearer";

    public static Credential Extract(HttpRequest request)
    {
        string? source = null;
        int start = 0, length = 0;
        var ambiguous = false;

        var authorization = request.Headers.Authorization;
        for (var i = 0; i < authorization.Count; i++)
        {
            Consider(authorization[i], isHeader: true, ref source, ref start, ref length, ref ambiguous);
        }

        // Parsing the query costs allocations; only a query that can hold the parameter is parsed.
        if (MayHoldApiKey(request.QueryString))
        {
            var values = request.Query[QueryParameter];
            for (var i = 0; i < values.Count; i++)
            {
                Consider(values[i], isHeader: false, ref source, ref start, ref length, ref ambiguous);
            }
        }

        if (ambiguous)
        {
            return new Credential(CredentialStatus.Ambiguous, null, 0, 0);
        }

        return source is null
            ? new Credential(CredentialStatus.Missing, null, 0, 0)
            : new Credential(CredentialStatus.Present, source, start, length);
    }

    /// <summary>Whether a raw query string may carry <c>api_key</c>, in any encoding of its name.</summary>
    public static bool MayHoldApiKey(QueryString query)
    {
        var value = query.Value;
        // '%' covers percent-encoded spellings of the name (api%5Fkey); those go through the real parser. The parser
        // (HttpRequest.Query) matches names case-insensitively, so API_KEY is looked for here too.
        return value is not null && (value.Contains(QueryParameter, StringComparison.OrdinalIgnoreCase) || value.Contains('%'));
    }

    private static void Consider(string? value, bool isHeader, ref string? source, ref int start, ref int length, ref bool ambiguous)
    {
        if (value is null)
        {
            return;
        }

        // The api_key value is the key exactly as decoded (contract section 8): white space in it is part of the value,
        // so `rpa_...%20` is invalid_key. Only the Authorization header's surrounding white space and scheme are ignored.
        var (s, l) = isHeader ? Locate(value) : (0, value.Length);
        if (l == 0)
        {
            // An empty credential carries no key; alone it is missing_key.
            return;
        }

        if (source is null)
        {
            (source, start, length) = (value, s, l);
        }
        else if (!source.AsSpan(start, length).SequenceEqual(value.AsSpan(s, l)))
        {
            ambiguous = true;
        }
    }

    private static (int Start, int Length) Locate(string value)
    {
        var span = value.AsSpan();
        var start = 0;
        var end = span.Length;
        while (start < end && char.IsWhiteSpace(span[start]))
        {
            start++;
        }

        while (end > start && char.IsWhiteSpace(span[end - 1]))
        {
            end--;
        }

        if (end - start >= Bearer.Length
            && span.Slice(start, Bearer.Length).Equals(Bearer, StringComparison.OrdinalIgnoreCase)
            && (end - start == Bearer.Length || char.IsWhiteSpace(span[start + Bearer.Length])))
        {
            start += Bearer.Length;
            while (start < end && char.IsWhiteSpace(span[start]))
            {
                start++;
            }
        }

        return (start, end - start);
    }

    /// <summary>The query string without any <c>api_key</c> parameter, however its name is encoded.</summary>
    public static QueryString WithoutApiKey(QueryString query)
    {
        if (!MayHoldApiKey(query))
        {
            return query;
        }

        var raw = query.Value!.AsSpan(1);
        var kept = new System.Text.StringBuilder(raw.Length + 1);
        foreach (var range in raw.Split('&'))
        {
            var pair = raw[range];
            var equals = pair.IndexOf('=');
            var name = equals < 0 ? pair : pair[..equals];
            if (IsApiKeyName(name))
            {
                continue;
            }

            kept.Append(kept.Length == 0 ? '?' : '&').Append(pair);
        }

        return kept.Length == 0 ? QueryString.Empty : new QueryString(kept.ToString());
    }

    /// <summary>Whether a raw query parameter name reads as <c>api_key</c> (any case, any percent-encoding), as HttpRequest.Query reads it.</summary>
    internal static bool IsApiKeyName(ReadOnlySpan<char> encodedName)
    {
        // Case-insensitive, as HttpRequest.Query reads names: whatever Extract took as the key must be removed here.
        if (encodedName.Equals(QueryParameter, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        // Decode as the query parser does ('+' is a space, then percent-decoding) so no spelling slips through.
        var decoded = Uri.UnescapeDataString(encodedName.ToString().Replace('+', ' '));
        return string.Equals(decoded, QueryParameter, StringComparison.OrdinalIgnoreCase);
    }

}
