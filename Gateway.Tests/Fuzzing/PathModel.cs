using System.Globalization;
using System.Text;
using CsCheck;

namespace Gateway.Tests.Fuzzing;

/// <summary>A generated request target for an <c>Endpoint</c> route, and the method it is sent with.</summary>
public sealed record PathCase(string Method, string Target)
{
    public override string ToString() => $"{Method} {Target}";
}

/// <summary>
/// Generates request targets around <c>/v2/{endpointId}/...</c>: the endpoint <c>granted</c> or another spelled with
/// percent-encodings (any hex case, doubled), encoded slashes, backslashes and dots, dot segments, empty segments,
/// unicode (raw and encoded, overlong, full-width), path parameters (<c>;</c> raw, <c>%3B</c> any case, <c>%253B</c>).
/// <see cref="DecodedEndpoint"/> is an independent
/// reading of which endpoint a target names.
/// </summary>
public static class PathModel
{
    public const string Granted = "granted";

    private static readonly string[] Prefixes = ["/v2", "/v2", "/v2", "/V2", "/%76%32", "/%56%32", "/x/../v2", "/./v2", "//v2", "/v2/.", "/v2%2F", "/%2E/v2"];
    private static readonly string[] Endpoints = [Granted, Granted, Granted, "other", "Granted", "GRANTED", "granted2", "grant", "granted-x"];
    private static readonly string[] Injections =
    [
        "%2F", "%2f", "%5C", "%5c", "%2E", "%2e", "%2E%2E", "..", ".", "%252F", "%252f", "%255C", "\\", ";x=1", "%3B", ";", "%3b",
        "%253B", "%253b",
        "%3F", "%23", "%00", "%20", "+", "é", "%C3%A9", "%C0%AE", "%C0%AF", "%E2%80%8B", "%EF%BC%8F", "ｇ", "%25", "%", "%G1", "/", "//",
    ];

    private static readonly string[] Segments =
    [
        "run", "runsync", "status", "..", ".", "%2E%2E", "%2e", "", "other", Granted, "%2F", "a%5Cb", "%252F", "x%20y",
        "..%2Fother", "..%2fother", "%2E%2E%2Fother", "..%5Cother", "..\\other", "..%252Fother", "..%255cother", ".%2E%2Fother",
        // Path parameters: servers that strip ";..." before resolving dot segments read "..;" as "..".
        "..;", "..;x=y", "..%3B", "..%3b", "%2e%2e;", "%2E%2E%3B", "..%253B", ";jsessionid=1", "run;v=2",
    ];
    private static readonly string[] Methods = ["GET", "POST", "DELETE", "HEAD", "PUT", "OPTIONS"];

    /// <summary>One piece of an endpoint segment: an endpoint name with some characters percent-encoded, or an injection.</summary>
    private static readonly Gen<string> Piece = Gen.Frequency<string>(
        (6, Gen.Select(Gen.OneOf(Endpoints), Gen.Int.Array[9], Encode)),
        (3, Gen.OneOf(Injections)));

    public static readonly Gen<PathCase> Case =
        from method in Gen.OneOf(Methods)
        from prefix in Gen.OneOf(Prefixes)
        from before in Gen.Frequency<string[]>((3, Gen.Const(Array.Empty<string>())), (1, Gen.OneOf(Segments).Array[1, 2]))
        from endpoint in Gen.Frequency<string[]>((5, Piece.Array[1]), (2, Piece.Array[2, 3]))
        from after in Gen.OneOf(Segments).Array[0, 3]
        from query in Gen.OneOf("", "", "?x=1", "?a=%2F", "?q=/../other")
        select new PathCase(method, Join(prefix, before, string.Concat(endpoint), after) + query);

    /// <summary>
    /// The endpoint a target names, read independently of the gateway: the path (before <c>?</c>) is split on
    /// <c>/</c>, each segment percent-decoded as UTF-8 (left as it is when that fails), dot segments removed
    /// (RFC 3986 §5.2.4), and the segment after <c>v2</c> (any case) returned; null when there is none.
    /// </summary>
    public static string? DecodedEndpoint(string target) => EndpointOf(target.Split('?', 2)[0].Split('/').Skip(1).Select(segment => Decode(segment, lenient: false)));

    /// <summary>
    /// Whether the path (before <c>?</c>) holds a <c>;</c> raw, percent-encoded (any case), or encoded twice: such a
    /// target is never forwarded (invalid_path), since Tomcat, Jetty and Spring strip path parameters.
    /// </summary>
    public static bool HasPathParameter(string target)
    {
        var path = target.Split('?', 2)[0];
        var once = Decode(path, lenient: true);
        return path.Contains(';') || once.Contains(';') || Decode(once, lenient: true).Contains(';');
    }

    /// <summary>
    /// The endpoint as laxer upstreams could read a target: per segment as above, and decoding the whole path
    /// before splitting it (so %2F and %5C are separators, and a backslash is a slash), once and twice. What the
    /// gateway forwards must name the same endpoint under every reading.
    /// </summary>
    public static IEnumerable<(string Reading, string? Endpoint)> Readings(string target)
    {
        var path = target.Split('?', 2)[0];
        yield return ("per segment", DecodedEndpoint(target));
        var once = Decode(path, lenient: true).Replace('\\', '/');
        yield return ("decoded before split", EndpointOf(once.Split('/').Skip(1)));
        yield return ("decoded twice before split", EndpointOf(Decode(once, lenient: true).Replace('\\', '/').Split('/').Skip(1)));
        // Tomcat and Jetty: each segment's ";..." dropped, then dot segments resolved.
        yield return ("path parameters stripped", EndpointOf(once.Split('/').Skip(1).Select(segment => segment.Split(';', 2)[0])));
    }

    private static string? EndpointOf(IEnumerable<string> segments)
    {
        var output = new List<string>();
        foreach (var segment in segments)
        {
            if (segment == ".")
            {
                continue;
            }

            if (segment == "..")
            {
                if (output.Count > 0)
                {
                    output.RemoveAt(output.Count - 1);
                }

                continue;
            }

            output.Add(segment);
        }

        return output.Count >= 2 && string.Equals(output[0], "v2", StringComparison.OrdinalIgnoreCase) ? output[1] : null;
    }

    /// <summary>The UTF-8 bytes of a target as the one-char-per-byte (Latin-1) string RawHttp writes byte for byte.</summary>
    public static string AsWireText(string target) => Encoding.Latin1.GetString(Encoding.UTF8.GetBytes(target));

    private static string Join(string prefix, string[] before, string endpoint, string[] after)
    {
        var parts = new List<string> { prefix };
        parts.AddRange(before);
        parts.Add(endpoint);
        parts.AddRange(after);
        return string.Join('/', parts);
    }

    // Each character is kept, percent-encoded (upper or lower hex), or encoded twice (%25XX), by its random number.
    private static string Encode(string name, int[] choices)
    {
        var text = new StringBuilder();
        for (var i = 0; i < name.Length; i++)
        {
            var choice = (uint)choices[i % choices.Length] % 20;
            var hex = ((int)name[i]).ToString(choice % 2 == 0 ? "X2" : "x2", CultureInfo.InvariantCulture);
            text.Append(choice switch { < 16 => name[i].ToString(), < 19 => "%" + hex, _ => "%25" + hex });
        }

        return text.ToString();
    }

    // Strict: invalid UTF-8 leaves the text as it was; lenient: it becomes U+FFFD, as a lax server would read it.
    private static string Decode(string segment, bool lenient)
    {
        if (!segment.Contains('%'))
        {
            return segment;
        }

        var bytes = new List<byte>();
        for (var i = 0; i < segment.Length; i++)
        {
            if (segment[i] == '%' && i + 2 < segment.Length
                && byte.TryParse(segment.AsSpan(i + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value))
            {
                bytes.Add(value);
                i += 2;
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(segment[i].ToString()));
            }
        }

        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: !lenient).GetString(bytes.ToArray());
        }
        catch (DecoderFallbackException)
        {
            return segment;
        }
    }
}
