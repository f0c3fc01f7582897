using System.Net.Sockets;
using System.Text;

namespace Gateway.Tests.Enforcement;

/// <summary>
/// Attacks from outside the fuzzers' model, found by attacking a live gateway over raw sockets: request smuggling,
/// request-target forms, upgrades the enforcement step must see, pipelining after a refusal, and headers or encodings
/// other servers read differently. Each refused attempt leaves the upstream untouched. The key (see
/// <see cref="BypassFixture"/>) has endpoints <c>{"granted": "readwrite", "readable": "read"}</c> and graphql <c>read</c>.
/// </summary>
public sealed class OutsideAttackTests(BypassFixture fixture) : IClassFixture<BypassFixture>
{
    private const string Readable = "/v2/readable/run";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    /// <summary>A raw request (the bytes exactly as sent, given the fixture and a marker) and its first answer.</summary>
    public sealed record Attack(int Status, string? Code, Func<BypassFixture, string, string> Request);

    public static readonly IReadOnlyDictionary<string, Attack> Attacks = new Dictionary<string, Attack>
    {
        // Smuggling: Kestrel lets Transfer-Encoding win over Content-Length, so the "body" is empty and what follows is
        // a second request; the GET carries a body (TE), so it needs readwrite, and the second one has no key.
        ["CL+TE with a smuggled POST after the last chunk"] = new(403, "scope_denied", (f, m) =>
            Head(f, m, "GET", Readable, "Content-Length: 44", "Transfer-Encoding: chunked", "Connection: close")
            + "0\r\n\r\nPOST /v2/readable/run HTTP/1.1\r\nHost: x\r\n\r\n"),
        ["two different Content-Length headers"] = new(400, null, (f, m) =>
            Head(f, m, "GET", Readable, "Content-Length: 0", "Content-Length: 5", "Connection: close") + "hello"),
        ["Transfer-Encoding: chunked, x"] = new(400, null, (f, m) =>
            Head(f, m, "GET", Readable, "Transfer-Encoding: chunked, x", "Connection: close") + "0\r\n\r\n"),
        ["Transfer-Encoding folded onto a continuation line (obs-fold)"] = new(400, null, (f, m) =>
            Head(f, m, "GET", Readable, "Transfer-Encoding:\r\n chunked", "Connection: close") + "0\r\n\r\n"),
        ["Transfer-Encoding: identity beside Content-Length"] = new(400, null, (f, m) =>
            Head(f, m, "GET", Readable, "Transfer-Encoding: identity", "Content-Length: 3", "Connection: close") + "abc"),
        ["chunked GET on a read endpoint (a body needs readwrite)"] = new(403, "scope_denied", (f, m) =>
            Head(f, m, "GET", Readable, "Transfer-Encoding: chunked", "Connection: close") + "3\r\nabc\r\n0\r\n\r\n"),

        // Request-target forms other than origin-form.
        ["absolute-form target naming another endpoint"] = new(400, "invalid_path", (f, m) =>
            Head(f, m, "GET", $"http://{f.ProxyUri.Authority}/v2/other/run", "Connection: close")),
        ["absolute-form target naming the readable endpoint with POST"] = new(400, "invalid_path", (f, m) =>
            Head(f, m, "POST", $"http://{f.ProxyUri.Authority}/v2/readable/run", "Content-Length: 0", "Connection: close")),
        ["absolute-form target whose host is not the Host header"] = new(400, null, (f, m) =>
            Head(f, m, "GET", "http://evil.example/v2/readable/run", "Connection: close")),
        ["authority-form CONNECT to the upstream's address"] = new(400, null, (f, m) =>
            Head(f, m, "CONNECT", $"{f.Upstream.Address.Authority}", "Connection: close")),
        ["CONNECT with an origin-form path on a read endpoint"] = new(403, "scope_denied", (f, m) =>
            Head(f, m, "CONNECT", Readable, "Connection: close")),
        ["asterisk-form OPTIONS *"] = new(404, null, (f, m) => Head(f, m, "OPTIONS", "*", "Connection: close")),
        ["HTTP/1.0 POST on a read endpoint"] = new(403, "scope_denied", (f, m) =>
            Head(f, m, "POST", Readable, "Content-Length: 2").Replace(" HTTP/1.1\r\n", " HTTP/1.0\r\n", StringComparison.Ordinal) + "{}"),

        // A double-encoded dot segment: Kestrel decodes %252e once, to %2e, and removes no dot segment; the upstream got
        // "/v2/readable/%252e%252e/granted/run", which a server that decodes twice reads as another endpoint.
        ["double-encoded dot segments %252e%252e"] = new(400, "invalid_path", (f, m) =>
            Head(f, m, "GET", "/v2/readable/%252e%252e/granted/run", "Connection: close")),
        ["double-encoded dot segments %252E%252E, upper case"] = new(400, "invalid_path", (f, m) =>
            Head(f, m, "GET", "/v2/readable/%252E%252E/other/run", "Connection: close")),

        // Upgrades Kestrel would honour are tunnels: readwrite, whatever the protocol or spelling.
        ["Upgrade: h2c on a read endpoint (curl --http2)"] = new(403, "scope_denied", (f, m) =>
            Head(f, m, "GET", Readable, "Connection: Upgrade, HTTP2-Settings", "Upgrade: h2c", "HTTP2-Settings: AAMAAABkAAQAAP__")),
        ["Upgrade: TLS/1.2 with OPTIONS on a read endpoint"] = new(403, "scope_denied", (f, m) =>
            Head(f, m, "OPTIONS", Readable, "Connection: Upgrade", "Upgrade: TLS/1.2")),
        ["Connection: keep-alive, Upgrade on a read endpoint"] = new(403, "scope_denied", (f, m) =>
            Head(f, m, "GET", Readable, "Connection: keep-alive, Upgrade", "Upgrade: websocket", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13")),
        ["Connection: Upgrade on its own header line after keep-alive"] = new(403, "scope_denied", (f, m) =>
            Head(f, m, "GET", Readable, "Connection: keep-alive", "Connection: Upgrade", "Upgrade: websocket", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13")),
        ["HTTP/1.0 upgrade on a read endpoint"] = new(403, "scope_denied", (f, m) =>
            Head(f, m, "GET", Readable, "Connection: Upgrade", "Upgrade: websocket").Replace(" HTTP/1.1\r\n", " HTTP/1.0\r\n", StringComparison.Ordinal)),

        // GraphQL routes: only a WebSocket upgrade is judged; anything else offered as one is refused before forwarding.
        ["Upgrade: h2c on /graphql"] = new(400, "invalid_graphql", (f, m) =>
            Head(f, m, "GET", "/graphql", "Connection: Upgrade, HTTP2-Settings", "Upgrade: h2c", "HTTP2-Settings: AAMAAABkAAQAAP__")),
        // Kestrel does not upgrade a request with a body: it is judged as the POST it is.
        ["WebSocket upgrade by POST with a mutation body on /graphql"] = new(403, "scope_denied", (f, m) =>
            Head(f, m, "POST", "/graphql", "Connection: Upgrade", "Upgrade: websocket", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
                "Sec-WebSocket-Version: 13", "Sec-WebSocket-Protocol: graphql-ws", "Content-Type: application/json", "Content-Length: 24")
            + "{\"query\":\"mutation{a}\"}\n"),
        ["Upgrade: websocket without Connection: Upgrade on /graphql"] = new(400, "invalid_graphql", (f, m) =>
            Head(f, m, "GET", "/graphql", "Upgrade: websocket", "Sec-WebSocket-Protocol: graphql-ws", "Connection: close")),
        ["GraphQL body in UTF-16 (charset=utf-16)"] = new(415, "unsupported_media_type", (f, m) =>
            Head(f, m, "POST", "/graphql", "Content-Type: application/json; charset=utf-16", "Content-Length: 2", "Connection: close") + "{}"),
        ["GraphQL as multipart/form-data (the upload spec)"] = new(415, "unsupported_media_type", (f, m) =>
            Head(f, m, "POST", "/graphql", "Content-Type: multipart/form-data; boundary=b", "Content-Length: 2", "Connection: close") + "--"),
        ["GraphQL as a form (query=mutation...)"] = new(415, "unsupported_media_type", (f, m) =>
            Head(f, m, "POST", "/graphql", "Content-Type: application/x-www-form-urlencoded", "Content-Length: 21", "Connection: close") + "query=mutation%7Ba%7D"),
        ["Content-Encoding identity then gzip on two lines"] = new(415, "unsupported_media_type", (f, m) =>
            Head(f, m, "POST", "/graphql", "Content-Type: application/json", "Content-Encoding: identity", "Content-Encoding: gzip", "Content-Length: 2", "Connection: close") + "{}"),
        // Kestrel refuses the framing while the gateway reads the body; that is a refusal, not an unhandled exception.
        ["GraphQL body with a malformed chunk size"] = new(400, "invalid_graphql", (f, m) =>
            Head(f, m, "POST", "/graphql", "Content-Type: application/json", "Transfer-Encoding: chunked", "Connection: close") + "zz\r\nabc\r\n0\r\n\r\n"),
        ["GraphQL body with a chunk longer than its size"] = new(400, "invalid_graphql", (f, m) =>
            Head(f, m, "POST", "/graphql", "Content-Type: application/json", "Transfer-Encoding: chunked", "Connection: close") + "2\r\n{\"query\":\"mutation{a}\"}\r\n0\r\n\r\n"),
    };

    public static TheoryData<string> AttackNames => new(Attacks.Keys);

    /// <summary>
    /// A comment the gateway's parser reads to the end of the line, and graphql-java's grammar (an ANTLR lexer) ends at
    /// U+2028 or U+2029: there the mutation after it is a second operation, and operationName B runs it.
    /// </summary>
    public static TheoryData<string, string> UnicodeLineBreakDocuments => new()
    {
        { "U+2028 raw in a JSON body", "{\"query\":\"query A{a} #\u2028mutation B{b}\",\"operationName\":\"B\"}" },
        { "U+2028 as a JSON escape", "{\"query\":\"query A{a} #\\u2028mutation B{b}\",\"operationName\":\"B\"}" },
        { "U+2029 as a JSON escape", "{\"query\":\"query A{a} #\\u2029mutation B{b}\",\"operationName\":\"B\"}" },
        { "U+0085 as a JSON escape", "{\"query\":\"query A{a} #\\u0085mutation B{b}\",\"operationName\":\"B\"}" },
        { "U+2028 in a batch's second request", "[{\"query\":\"{a}\"},{\"query\":\"query A{a} #\\u2028mutation B{b}\",\"operationName\":\"B\"}]" },
    };

    [Theory]
    [MemberData(nameof(UnicodeLineBreakDocuments))]
    public async Task CommentEndedByAUnicodeLineBreak_IsInvalidGraphQL_UpstreamSawNothing(string name, string body)
    {
        fixture.Upstream.Clear();
        var marker = Guid.NewGuid().ToString("N");

        var response = await fixture.SendAsync(marker, HttpMethod.Post, "/graphql", BypassFixture.Json(body));

        Assert.True(fixture.Upstream.Count == 0, $"[{name}] the upstream saw the request; response {response}");
        Assert.True(response.Status == 400 && response.Code == "invalid_graphql", $"[{name}] got {response}");
    }

    [Fact]
    public async Task CommentEndedByAUnicodeLineBreak_InAGraphQLDocumentBodyOrAGet_IsInvalidGraphQL()
    {
        fixture.Upstream.Clear();
        var marker = Guid.NewGuid().ToString("N");

        var document = await fixture.SendAsync(marker, HttpMethod.Post, "/graphql", BypassFixture.GraphQLDocument("query A{a} #\u2028mutation B{b}"));
        var get = await fixture.SendAsync(marker, HttpMethod.Get, "/graphql?query=query%20A%7Ba%7D%20%23%E2%80%A8mutation%20B%7Bb%7D&operationName=B");

        Assert.Equal(0, fixture.Upstream.Count);
        Assert.Equal((400, "invalid_graphql"), (document.Status, document.Code));
        Assert.Equal((400, "invalid_graphql"), (get.Status, get.Code));
    }

    [Theory]
    [MemberData(nameof(AttackNames))]
    public async Task Attack_IsRefused_AndTheUpstreamSawNothing(string name)
    {
        var attack = Attacks[name];
        fixture.Upstream.Clear();
        var marker = Guid.NewGuid().ToString("N");

        var text = await SendAsync(Encoding.Latin1.GetBytes(attack.Request(fixture, marker)), firstResponseOnly: true);
        var response = RawHttp.Parse(Encoding.Latin1.GetBytes(text));

        Assert.True(fixture.Upstream.Count == 0, $"[{name}] the upstream saw {fixture.Upstream.Count} request(s); response {response}");
        Assert.True(attack.Status == response.Status, $"[{name}] expected {attack.Status} {attack.Code}, got {response}");
        Assert.True(attack.Code == response.Code, $"[{name}] expected code '{attack.Code}', got {response}");
        if (attack.Code is not null)
        {
            response.AssertProblemShape($"[{name}]");
        }
    }

    [Fact]
    public async Task PipelinedRequests_AfterARefusedOne_AreEachJudged_UpstreamSawNothing()
    {
        fixture.Upstream.Clear();
        var marker = Guid.NewGuid().ToString("N");
        var request = Head(fixture, marker, "POST", "/v2/other/run", "Content-Length: 2") + "{}"
            + Head(fixture, marker, "GET", "/v2/other/run")
            + Head(fixture, marker, "DELETE", Readable, "Connection: close");

        var text = await SendAsync(Encoding.Latin1.GetBytes(request));

        Assert.Equal(0, fixture.Upstream.Count);
        Assert.Equal(3, CountOccurrences(text, "HTTP/1.1 403 "));
        Assert.DoesNotContain("HTTP/1.1 200", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExpectContinue_OnARefusedPost_GetsNo100_AndTheBodyIsNeverForwarded()
    {
        fixture.Upstream.Clear();
        var marker = Guid.NewGuid().ToString("N");
        using var client = new TcpClient();
        using var timeout = new CancellationTokenSource(Deadline);
        await client.ConnectAsync(fixture.ProxyUri.Host, fixture.ProxyUri.Port, timeout.Token);
        var stream = client.GetStream();

        // Only the head: a gateway that sent 100 Continue would invite the body of a request it then forwards.
        await stream.WriteAsync(Encoding.Latin1.GetBytes(Head(fixture, marker, "POST", Readable, "Content-Length: 2", "Expect: 100-continue", "Connection: close")), timeout.Token);
        var text = await ReadToEndAsync(stream, timeout.Token);

        Assert.StartsWith("HTTP/1.1 403 ", text, StringComparison.Ordinal);
        Assert.DoesNotContain("100 Continue", text, StringComparison.Ordinal);
        Assert.Equal(0, fixture.Upstream.Count);
    }

    [Fact]
    public async Task GraphQLBodyTrickledBelowKestrelsMinimumRate_Is408BodyTimeout_UpstreamSawNothing()
    {
        // Kestrel cuts a body slower than 240 bytes/s after 5 s (MinRequestBodyDataRate) by throwing from the read:
        // that is the body deadline too, answered as 408 body_timeout, not a bare 408 and an error log.
        fixture.Upstream.Clear();
        var marker = Guid.NewGuid().ToString("N");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var client = new TcpClient();
        await client.ConnectAsync(fixture.ProxyUri.Host, fixture.ProxyUri.Port, timeout.Token);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.Latin1.GetBytes(Head(fixture, marker, "POST", "/graphql", "Content-Type: application/json", "Content-Length: 1000")), timeout.Token);

        // The attacker's pace, not a synchronisation: one byte every 200 ms until the gateway answers.
        var first = new byte[4096];
        var answer = stream.ReadAsync(first, timeout.Token).AsTask();
        while (!answer.IsCompleted)
        {
            await stream.WriteAsync(" "u8.ToArray(), timeout.Token);
            await Task.WhenAny(answer, Task.Delay(200, timeout.Token));
        }

        var read = await answer;
        Assert.True(read > 0, "the gateway closed without an answer");
        // The refusal closes the connection, so the rest of the answer ends at the close.
        var text = Encoding.Latin1.GetString(first, 0, read) + await ReadToEndAsync(stream, timeout.Token);
        Assert.Equal(0, fixture.Upstream.Count);
        Assert.StartsWith("HTTP/1.1 408 ", text, StringComparison.Ordinal);
        Assert.Contains("\"code\":\"body_timeout\"", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PathOverrideHeaders_NeverReachTheUpstream()
    {
        // IIS URL Rewrite and some frameworks route by these: the upstream would serve /v2/granted/run for a GET the
        // gateway judged as one on /v2/readable/run (read is enough there).
        fixture.Upstream.Clear();
        var marker = Guid.NewGuid().ToString("N");

        var response = await fixture.RawAsync(marker, "GET", Readable, ["X-Original-URL: /v2/granted/run", "X-Rewrite-URL: /v2/granted/run"]);

        Assert.Equal(200, response.Status);
        var seen = Assert.Single(fixture.Upstream.Received);
        Assert.Equal(Readable, seen.Path);
        Assert.Null(seen.Header("X-Original-URL"));
        Assert.Null(seen.Header("X-Rewrite-URL"));
    }

    [Fact]
    public async Task UpgradeHeaderWithoutConnectionUpgrade_IsAPlainRead_AndTheUpstreamSeesNoUpgrade()
    {
        fixture.Upstream.Clear();
        var marker = Guid.NewGuid().ToString("N");

        var response = await fixture.RawAsync(marker, "GET", Readable, ["Upgrade: websocket", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13"]);

        Assert.Equal(200, response.Status);
        var seen = Assert.Single(fixture.Upstream.Received);
        Assert.Null(seen.Header("Upgrade"));
    }

    [Fact]
    public async Task ChunkedGraphQLQuery_WithTrailers_ReachesTheUpstreamAsJudged_WithoutTheTrailers()
    {
        fixture.Upstream.Clear();
        var marker = Guid.NewGuid().ToString("N");
        const string Body = "{\"query\":\"query{a}\"}";
        var request = Head(fixture, marker, "POST", "/graphql", "Content-Type: application/json", "Transfer-Encoding: chunked", "Connection: close")
            + $"{Body.Length:x}\r\n{Body}\r\n0\r\nX-Query: mutation{{a}}\r\nContent-Type: application/graphql\r\n\r\n";

        var text = await SendAsync(Encoding.Latin1.GetBytes(request));

        Assert.StartsWith("HTTP/1.1 200 ", text, StringComparison.Ordinal);
        var seen = Assert.Single(fixture.Upstream.Received);
        Assert.Equal(Body, Encoding.UTF8.GetString(seen.Body));
        Assert.Null(seen.Header("X-Query"));
        Assert.Equal("application/json", seen.Header("Content-Type"));
    }

    private static string Head(BypassFixture f, string marker, string method, string target, params string[] lines)
    {
        var head = new StringBuilder();
        head.Append(method).Append(' ').Append(target).Append(" HTTP/1.1\r\n");
        head.Append("Host: ").Append(f.ProxyUri.Authority).Append("\r\n");
        head.Append(BypassFixture.MarkerHeader).Append(": ").Append(marker).Append("\r\n");
        head.Append("Authorization: Bearer ").Append(f.Key).Append("\r\n");
        foreach (var line in lines)
        {
            head.Append(line).Append("\r\n");
        }

        return head.Append("\r\n").ToString();
    }

    private async Task<string> SendAsync(byte[] request, bool firstResponseOnly = false)
    {
        using var timeout = new CancellationTokenSource(Deadline);
        using var client = new TcpClient();
        await client.ConnectAsync(fixture.ProxyUri.Host, fixture.ProxyUri.Port, timeout.Token);
        var stream = client.GetStream();
        await stream.WriteAsync(request, timeout.Token);
        return await ReadToEndAsync(stream, timeout.Token, firstResponseOnly);
    }

    /// <summary>
    /// Reads until the server closes, or (<paramref name="firstResponseOnly"/>) until the first response is complete:
    /// a refused upgrade keeps the connection open, so its end is told by its Content-Length.
    /// </summary>
    private static async Task<string> ReadToEndAsync(NetworkStream stream, CancellationToken cancellation, bool firstResponseOnly = false)
    {
        var received = new List<byte>();
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await stream.ReadAsync(buffer, cancellation);
                if (read == 0)
                {
                    break;
                }

                received.AddRange(buffer.AsSpan(0, read));
                if (firstResponseOnly && IsCompleteResponse(Encoding.Latin1.GetString(received.ToArray())))
                {
                    break;
                }
            }
        }
        catch (IOException) when (received.Count > 0)
        {
            // The server may reset the connection right after a refusal; what it sent before counts.
        }

        return Encoding.Latin1.GetString(received.ToArray());
    }

    private static bool IsCompleteResponse(string text)
    {
        var endOfHead = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (endOfHead < 0)
        {
            return false;
        }

        foreach (var line in text[..endOfHead].Split("\r\n"))
        {
            if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
            {
                return text.Length - endOfHead - 4 >= int.Parse(line["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        // No length: the body ends when the server closes.
        return false;
    }

    private static int CountOccurrences(string text, string value)
    {
        var count = 0;
        for (var i = text.IndexOf(value, StringComparison.Ordinal); i >= 0; i = text.IndexOf(value, i + 1, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
