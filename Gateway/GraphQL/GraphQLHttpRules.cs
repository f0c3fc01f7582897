namespace Gateway.GraphQL;

/// <summary>
/// Stage A of GraphQL over HTTP: the checks that need only the method, headers and URL, so a
/// request that will be refused anyway never costs a body read.
/// </summary>
public static class GraphQLHttpRules
{
    private const string JsonMediaType = "application/json";
    private const string GraphQLMediaType = "application/graphql";

    /// <summary>
    /// Returns a refusal, or <see cref="GraphQLRefusal.None"/> to go on to stage B. The need of a
    /// passing verdict is meaningless here (it is ReadWrite, so misuse fails closed).
    /// </summary>
    /// <param name="method">The real HTTP method (override headers already ignored).</param>
    /// <param name="contentType">The raw <c>Content-Type</c> value, or null when absent.</param>
    /// <param name="contentEncoding">The raw <c>Content-Encoding</c> value, or null when absent.</param>
    /// <param name="queryParamValues">Every value of the URL's <c>query</c> parameter.</param>
    public static GraphQLVerdict CheckHeaders(
        string method, string? contentType, string? contentEncoding, IReadOnlyList<string?> queryParamValues)
    {
        // Methods are case-sensitive (RFC 9110 §9.1). Kestrel hands "get" through as a custom
        // method; refusing it keeps one spelling per method, so no upstream can treat a body-less
        // "get" differently from what was judged here.
        if (string.Equals(method, "GET", StringComparison.Ordinal))
        {
            int count = queryParamValues?.Count ?? 0;
            return count switch
            {
                0 => GraphQLVerdict.Invalid("the query parameter is required for GraphQL over GET"),
                1 => GraphQLVerdict.Continue,
                // Frameworks disagree on which of two values wins; the gateway must judge the one
                // the upstream runs, so it judges neither.
                _ => GraphQLVerdict.Invalid("more than one query parameter"),
            };
        }

        if (!string.Equals(method, "POST", StringComparison.Ordinal))
        {
            return GraphQLVerdict.MethodNotAllowed("GraphQL is served over GET and POST only");
        }

        if (string.IsNullOrWhiteSpace(contentType))
        {
            return GraphQLVerdict.UnsupportedMediaType("Content-Type is required: application/json or application/graphql");
        }

        ReadOnlySpan<char> mediaType = MediaType(contentType, out ReadOnlySpan<char> parameters);
        if (!mediaType.Equals(JsonMediaType, StringComparison.OrdinalIgnoreCase)
            && !mediaType.Equals(GraphQLMediaType, StringComparison.OrdinalIgnoreCase))
        {
            return GraphQLVerdict.UnsupportedMediaType("Content-Type must be application/json or application/graphql");
        }

        // The body is judged as UTF-8; a body declared in another charset would be read one way
        // here and another way upstream.
        if (!CharsetIsUtf8(parameters))
        {
            return GraphQLVerdict.UnsupportedMediaType("only the utf-8 charset is accepted");
        }

        // A compressed body cannot be judged without inflating it (a decompression bomb), and it
        // must reach the upstream byte for byte, so it is refused. An empty value is refused too:
        // anything but the explicit no-op coding fails closed.
        if (contentEncoding is not null
            && !contentEncoding.AsSpan().Trim().Equals("identity", StringComparison.OrdinalIgnoreCase))
        {
            return GraphQLVerdict.UnsupportedMediaType("compressed request bodies are not accepted");
        }

        // The upstream may read the document from the URL or from the body; with both present the
        // gateway cannot know which one runs.
        if (queryParamValues is { Count: > 0 })
        {
            return GraphQLVerdict.Invalid("a POST must not also carry a query parameter");
        }

        return GraphQLVerdict.Continue;
    }

    /// <summary>True when the media type is <c>application/json</c> (case-insensitive, parameters ignored).</summary>
    public static bool IsJson(string contentType) =>
        contentType is not null
        && MediaType(contentType, out _).Equals(JsonMediaType, StringComparison.OrdinalIgnoreCase);

    /// <summary>True when the media type is <c>application/graphql</c> (case-insensitive, parameters ignored).</summary>
    public static bool IsGraphQLDocument(string contentType) =>
        contentType is not null
        && MediaType(contentType, out _).Equals(GraphQLMediaType, StringComparison.OrdinalIgnoreCase);

    private static ReadOnlySpan<char> MediaType(string contentType, out ReadOnlySpan<char> parameters)
    {
        ReadOnlySpan<char> value = contentType.AsSpan();
        int semicolon = value.IndexOf(';');
        if (semicolon < 0)
        {
            parameters = default;
            return value.Trim();
        }

        parameters = value[(semicolon + 1)..];
        return value[..semicolon].Trim();
    }

    // No charset parameter means UTF-8 for both media types (RFC 8259 §8.1; GraphQL over HTTP).
    private static bool CharsetIsUtf8(ReadOnlySpan<char> parameters)
    {
        while (!parameters.IsEmpty)
        {
            int semicolon = parameters.IndexOf(';');
            ReadOnlySpan<char> parameter = semicolon < 0 ? parameters : parameters[..semicolon];
            parameters = semicolon < 0 ? default : parameters[(semicolon + 1)..];

            int equals = parameter.IndexOf('=');
            if (equals < 0 || !parameter[..equals].Trim().Equals("charset", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            ReadOnlySpan<char> charset = parameter[(equals + 1)..].Trim();
            if (charset.Length >= 2 && charset[0] == '"' && charset[^1] == '"')
            {
                charset = charset[1..^1];
            }

            if (!charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase)
                && !charset.Equals("utf8", StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
        }

        return true;
    }
}
