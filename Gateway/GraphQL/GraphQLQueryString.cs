namespace Gateway.GraphQL;

/// <summary>
/// The query string a GraphQL route accepts: the GraphQL-over-HTTP parameters <c>query</c>, <c>operationName</c>,
/// <c>variables</c>, <c>extensions</c>, each at most once and spelled literally, and the key's <c>api_key</c>.
/// Parsers disagree on anything else (PHP trims <c>" query"</c> and folds <c>query[]</c>, older Rack, Go and Python
/// split on <c>;</c>, some keep the first of two values and some the last), so anything else is refused rather
/// than judged one way and run another.
/// </summary>
public static class GraphQLQueryString
{
    /// <summary>Whether a raw (undecoded) parameter name is one the gateway reads as the key.</summary>
    public delegate bool ApiKeyName(ReadOnlySpan<char> rawName);

    private static readonly string[] Allowed = ["query", "operationName", "variables", "extensions"];

    /// <summary>Null when the raw query string (with or without its leading <c>?</c>) is acceptable, else why not.</summary>
    /// <param name="rawQuery">The query string exactly as it came on the wire: not decoded.</param>
    /// <param name="isApiKeyName">Whether a raw name is one the gateway reads as the key (and removes before forwarding).</param>
    public static string? Check(ReadOnlySpan<char> rawQuery, ApiKeyName isApiKeyName)
    {
        ArgumentNullException.ThrowIfNull(isApiKeyName);
        if (!rawQuery.IsEmpty && rawQuery[0] == '?')
        {
            rawQuery = rawQuery[1..];
        }

        // Parsers that split pairs on ';' as well as '&' would see parameters the gateway does not.
        if (rawQuery.Contains(';'))
        {
            return "a ';' in the query string is not accepted on GraphQL routes";
        }

        var seen = 0;
        foreach (var range in rawQuery.Split('&'))
        {
            var pair = rawQuery[range];
            if (pair.IsEmpty)
            {
                // "a&&b" and a trailing '&': every parser skips an empty pair.
                continue;
            }

            var equals = pair.IndexOf('=');
            var name = equals < 0 ? pair : pair[..equals];
            var index = IndexOfAllowed(name);
            if (index >= 0)
            {
                var bit = 1 << index;
                if ((seen & bit) != 0)
                {
                    // Frameworks disagree on which of two values wins, so neither is judged.
                    return $"the query string parameter '{Allowed[index]}' appears more than once";
                }

                seen |= bit;
                continue;
            }

            // The key's parameter, in any spelling the gateway reads as the key: it is removed before forwarding,
            // so no upstream reads it at all (its repeats are the credential reader's: same key fine, two ambiguous).
            if (isApiKeyName(name))
            {
                continue;
            }

            return "the query string may hold only query, operationName, variables, extensions and api_key, "
                + "each spelled literally and at most once";
        }

        return null;
    }

    // Byte for byte: a name with a percent-encoding (%71uery) or '+' in it is not one of these, whatever it decodes to.
    private static int IndexOfAllowed(ReadOnlySpan<char> name)
    {
        for (var i = 0; i < Allowed.Length; i++)
        {
            if (name.SequenceEqual(Allowed[i]))
            {
                return i;
            }
        }

        return -1;
    }
}
