using System.IO.Compression;
using System.Net.Http.Headers;
using System.Text;

namespace Gateway.Tests.Enforcement;

/// <summary>
/// GraphQL with a <c>read</c> key. Every operation in every document counts, mutation needs readwrite;
/// a request whose operations cannot be seen (persisted query only) needs readwrite; mutation over GET is 405;
/// duplicate JSON members, unknown or mis-cased request members, POST with <c>query</c> in the URL, and GET with
/// two <c>query</c> parameters are 400 invalid_graphql; no Content-Type, another media type, or a compressed body
/// is 415; a body over 1 MiB is 413; and a request with no valid key is refused before its body is read. A GET
/// carries its document in the URL only: a body on it would reach the upstream unjudged, so it is invalid_graphql.
/// </summary>
public sealed partial class BypassTests
{
    private const int Limit = 1024 * 1024;

    public static readonly IReadOnlyDictionary<string, Attempt> GraphQLAttempts = new Dictionary<string, Attempt>
    {
        ["mutation hidden in a batch"] = new(403, "scope_denied",
            PostJson("""[{"query":"{ myself { id } }"},{"query":"mutation { podStop(input: {podId: \"p\"}) { id } }"}]""")),
        ["query and mutation in one document, operationName naming the query"] = new(403, "scope_denied",
            PostJson("""{"query":"query Q { myself { id } } mutation M { podStop { id } }","operationName":"Q"}""")),
        ["# comment line before a mutation"] = new(403, "scope_denied", PostJson("""{"query":"# just a query\nmutation { podStop { id } }"}""")),
        ["mutation after a query and a trailing comment"] = new(403, "scope_denied",
            PostJson("""{"query":"query { myself { id } } # the rest is a comment, right?\r\nmutation { podStop { id } }"}""")),
        ["\\u006dutation JSON escape"] = new(403, "scope_denied", PostJson("""{"query":"\u006dutation { podStop { id } }"}""")),
        ["\\u0071uery escaped member name"] = new(403, "scope_denied", PostJson("""{"\u0071uery":"mutation { podStop { id } }"}""")),
        ["block string before a mutation"] = new(403, "scope_denied",
            PostJson("""{"query":"query { a(s: \"\"\" } \"\"\") } mutation { podStop { id } }"}""")),
        ["escaped triple quote inside a block string before a mutation"] = new(403, "scope_denied",
            PostJson("""{"query":"query { a(s: \"\"\" \\\"\"\" still inside \"\"\") } mutation { podStop { id } }"}""")),
        ["duplicate query members"] = new(400, "invalid_graphql", PostJson("""{"query":"{ myself { id } }","query":"mutation { podStop { id } }"}""")),
        ["duplicate member inside variables"] = new(400, "invalid_graphql",
            PostJson("""{"query":"query($x: ID) { pod(id: $x) { id } }","variables":{"x":"a","x":"b"}}""")),
        ["duplicate member deep inside extensions"] = new(400, "invalid_graphql",
            PostJson("""{"query":"{ myself { id } }","extensions":{"a":[{"b":{"c":1,"c":2}}]}}""")),
        ["Query (capitalised) member alone"] = new(400, "invalid_graphql", PostJson("""{"Query":"mutation { podStop { id } }"}""")),
        ["Query (capitalised) next to query"] = new(400, "invalid_graphql",
            PostJson("""{"query":"{ myself { id } }","Query":"mutation { podStop { id } }"}""")),
        ["persisted query only (needs readwrite)"] = new(403, "scope_denied",
            PostJson("""{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"ecf4edb46db40b5132295c0291d62fb65d6759a9eedfa4d5d612dd5ec54a6b38"}}}""")),
        ["persisted query with query null (needs readwrite)"] = new(403, "scope_denied",
            PostJson("""{"query":null,"extensions":{"persistedQuery":{"version":1,"sha256Hash":"ecf4edb46db40b5132295c0291d62fb65d6759a9eedfa4d5d612dd5ec54a6b38"}}}""")),
        ["mutation over GET"] = new(405, "method_not_allowed", Get("/graphql?query=" + Uri.EscapeDataString("mutation { podStop { id } }"))),
        // Raw, since HttpClient would send %71 as 'q'. Names are taken as sent: %71uery is not "query" to the
        // query-string rule, whatever it decodes to (README: "How a request is judged"; exact names).
        ["mutation over GET under a percent-encoded parameter name"] = new(400, "invalid_graphql",
            Raw("GET", "/graphql?%71uery=" + Uri.EscapeDataString("mutation { podStop { id } }"))),
        ["two query parameters on GET"] = new(400, "invalid_graphql",
            Get("/graphql?query=" + Uri.EscapeDataString("{ myself { id } }") + "&query=" + Uri.EscapeDataString("mutation { podStop { id } }"))),
        ["second query parameter percent-encoded on GET"] = new(400, "invalid_graphql",
            Get("/graphql?query=" + Uri.EscapeDataString("{ myself { id } }") + "&qu%65ry=" + Uri.EscapeDataString("mutation { podStop { id } }"))),
        // A GET's body is no part of GraphQL over HTTP, so the gateway never judges it; it must not pass unjudged.
        ["GET query with a mutation document in its body"] = new(400, "invalid_graphql", (f, m) => f.RawAsync(m, "GET",
            "/graphql?query=" + Uri.EscapeDataString("{ myself { id } }"), ["Content-Type: application/json"],
            """{"query":"mutation { podStop { id } }"}"""u8.ToArray())),
        ["GET query with a 2 MiB body"] = new(400, "invalid_graphql", (f, m) => f.RawAsync(m, "GET",
            "/graphql?query=" + Uri.EscapeDataString("{ myself { id } }"), ["Content-Type: application/json"], new byte[2 * Limit])),
        ["Content-Encoding gzip listed after identity"] = new(415, "unsupported_media_type", (f, m) => f.RawAsync(m, "POST", "/graphql",
            ["Content-Type: application/json", "Content-Encoding: identity, gzip"], """{"query":"{ myself { id } }"}"""u8.ToArray())),
        ["POST with query in the URL too"] = new(400, "invalid_graphql",
            PostJson("""{"query":"{ myself { id } }"}""", "/graphql?query=" + Uri.EscapeDataString("mutation { podStop { id } }"))),
        ["type-system definition next to a mutation"] = new(400, "invalid_graphql",
            PostJson("""{"query":"type Q { a: Int } mutation { podStop { id } }"}""")),
        ["second JSON value after the request"] = new(400, "invalid_graphql",
            PostJson("""{"query":"{ myself { id } }"} {"query":"mutation { podStop { id } }"}""")),
        ["JSON comment in the body"] = new(400, "invalid_graphql", PostJson("""{"query":"{ myself { id } }" /* ,"query":"mutation{b}" */}""")),
        ["gzip-compressed mutation"] = new(415, "unsupported_media_type", (f, m) => f.SendAsync(m, HttpMethod.Post, "/graphql", Gzipped())),
        ["no Content-Type"] = new(415, "unsupported_media_type",
            (f, m) => f.SendAsync(m, HttpMethod.Post, "/graphql", new ByteArrayContent("""{"query":"mutation { podStop { id } }"}"""u8.ToArray()))),
        ["text/plain"] = new(415, "unsupported_media_type", (f, m) => f.SendAsync(m, HttpMethod.Post, "/graphql",
            new StringContent("""{"query":"mutation { podStop { id } }"}""", Encoding.UTF8, "text/plain"))),
        ["application/json in UTF-16"] = new(415, "unsupported_media_type", (f, m) => f.SendAsync(m, HttpMethod.Post, "/graphql",
            new StringContent("""{"query":"mutation { podStop { id } }"}""", Encoding.Unicode, "application/json"))),
        ["application/graphql mutation"] = new(403, "scope_denied",
            (f, m) => f.SendAsync(m, HttpMethod.Post, "/graphql", BypassFixture.GraphQLDocument("mutation { podStop { id } }"))),
        ["PUT with a mutation"] = new(405, "method_not_allowed", (f, m) => f.SendAsync(m, HttpMethod.Put, "/graphql",
            BypassFixture.Json("""{"query":"mutation { podStop { id } }"}"""))),
        ["body over 1 MiB with Content-Length"] = new(413, "payload_too_large",
            (f, m) => f.SendAsync(m, HttpMethod.Post, "/graphql", Oversized(chunked: false))),
        ["body over 1 MiB, chunked (no Content-Length)"] = new(413, "payload_too_large",
            (f, m) => f.SendAsync(m, HttpMethod.Post, "/graphql", Oversized(chunked: true), edit: r => r.Headers.TransferEncodingChunked = true)),
        // No valid key: refused before the body is read (README: "How a request is judged", "never costs a body read").
        ["oversized chunked body with no key"] = new(401, "missing_key",
            (f, m) => f.SendAsync(m, HttpMethod.Post, "/graphql", Oversized(chunked: true), authorization: "", edit: r => r.Headers.TransferEncodingChunked = true)),
        ["oversized body with an unknown key"] = new(401, "invalid_key",
            (f, m) => f.SendAsync(m, HttpMethod.Post, "/graphql", Oversized(chunked: false), authorization: "Bearer " + BypassFixture.InventedRpaKey())),
        ["mutation body with no Content-Type and no key"] = new(401, "missing_key",
            (f, m) => f.SendAsync(m, HttpMethod.Post, "/graphql", new ByteArrayContent("mutation { x }"u8.ToArray()), authorization: "")),
    };

    public static TheoryData<string> GraphQLAttemptNames => Names(GraphQLAttempts);

    [Theory]
    [MemberData(nameof(GraphQLAttemptNames))]
    public Task GraphQLAttempt_IsRefusedAndNeverReachesTheUpstream(string name) => AssertRefusedAsync(name, GraphQLAttempts[name]);

    private static Func<BypassFixture, string, Task<ProxyResponse>> PostJson(string body, string target = "/graphql") =>
        (f, marker) => f.SendAsync(marker, HttpMethod.Post, target, BypassFixture.Json(body));

    private static Func<BypassFixture, string, Task<ProxyResponse>> Get(string target) =>
        (f, marker) => f.SendAsync(marker, HttpMethod.Get, target);

    private static ByteArrayContent Gzipped()
    {
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest))
        {
            gzip.Write("""{"query":"mutation { podStop { id } }"}"""u8);
        }

        var content = new ByteArrayContent(compressed.ToArray());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        content.Headers.ContentEncoding.Add("gzip");
        return content;
    }

    /// <summary>A well-formed JSON query request one byte over the limit: the key may read, so only the size refuses it.</summary>
    private static HttpContent Oversized(bool chunked)
    {
        var head = Encoding.UTF8.GetBytes("{\"query\":\"query { myself { id } }\",\"variables\":{\"pad\":\"");
        var tail = Encoding.UTF8.GetBytes("\"},\"extensions\":null}");
        var body = new byte[Limit + 1];
        head.CopyTo(body, 0);
        body.AsSpan(head.Length, body.Length - head.Length - tail.Length).Fill((byte)'a');
        tail.CopyTo(body, body.Length - tail.Length);
        HttpContent content = chunked ? new StreamContent(new NonSeekableStream(body)) : new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    /// <summary>A stream with no length, so HttpClient cannot send a Content-Length.</summary>
    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data, writable: false)
    {
        public override bool CanSeek => false;
    }
}
