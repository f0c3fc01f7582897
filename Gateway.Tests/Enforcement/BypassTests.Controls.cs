using System.Text;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Enforcement;

/// <summary>
/// Positive controls: requests the key allows do reach the upstream, as they were judged, without the key, the
/// <c>Authorization</c> header, the <c>api_key</c> parameter or a method-override header. Without these, "the
/// upstream saw nothing" above could pass against a broken upstream.
/// </summary>
public sealed partial class BypassTests
{
    /// <summary>An allowed request and what the upstream must have received for it.</summary>
    public sealed record Allowed(Func<BypassFixture, string, Task<ProxyResponse>> Send, string Method, string Target, string? Body = null);

    private const string QueryBody = """{"query":"query Me { myself { id } }","variables":null}""";
    private const string BlockStringBody = """{"query":"query { a(s: \"\"\"mutation { podStop { id } }\"\"\") }"}""";
    private static readonly string GetQuery = "/graphql?query=" + Uri.EscapeDataString("{ myself { id } }");

    public static readonly IReadOnlyDictionary<string, Allowed> AllowedRequests = new Dictionary<string, Allowed>
    {
        ["GET on the granted endpoint"] = new((f, m) => f.SendAsync(m, HttpMethod.Get, Granted), "GET", Granted),
        ["POST on the granted endpoint, body byte for byte"] = new(
            (f, m) => f.SendAsync(m, HttpMethod.Post, Granted, BypassFixture.Json("""{"input":{"n":1}}""")), "POST", Granted, """{"input":{"n":1}}"""),
        ["GET on the read endpoint"] = new((f, m) => f.SendAsync(m, HttpMethod.Get, "/v2/readable/status/1"), "GET", "/v2/readable/status/1"),
        ["HEAD on the read endpoint"] = new((f, m) => f.SendAsync(m, HttpMethod.Head, "/v2/readable/status/1"), "HEAD", "/v2/readable/status/1"),
        ["OPTIONS on the read endpoint"] = new((f, m) => f.SendAsync(m, HttpMethod.Options, "/v2/readable/run"), "OPTIONS", "/v2/readable/run"),
        // Content-Length: 0 is no body: a read stays a read.
        ["GET with Content-Length: 0 on the read endpoint"] = new(
            (f, m) => f.RawAsync(m, "GET", "/v2/readable/status/1", body: []), "GET", "/v2/readable/status/1"),
        ["GET with a body on the granted (readwrite) endpoint, body byte for byte"] = new(
            (f, m) => f.RawAsync(m, "GET", Granted, body: "{}"u8.ToArray()), "GET", Granted, "{}"),
        ["OPTIONS with a chunked body on the granted (readwrite) endpoint"] = new(
            (f, m) => f.RawAsync(m, "OPTIONS", Granted, body: "{}"u8.ToArray(), chunked: true), "OPTIONS", Granted, "{}"),
        ["GET on a Public route with no key"] = new((f, m) => f.RawAsync(m, "GET", "/open/x", withKey: false), "GET", "/open/x"),
        ["GraphQL GET with every allowed parameter and api_key"] = new(
            (f, m) => f.SendAsync(m, HttpMethod.Get, $"{GetQuery}&operationName=A&variables=%7B%7D&extensions=%7B%7D&api_key={f.Key}", authorization: ""),
            "GET", $"{GetQuery}&operationName=A&variables=%7B%7D&extensions=%7B%7D"),
        ["GraphQL GET with the same api_key twice"] = new(
            (f, m) => f.SendAsync(m, HttpMethod.Get, $"{GetQuery}&api_key={f.Key}&API_KEY={f.Key}", authorization: ""), "GET", GetQuery),
        ["dot segment that stays on the granted endpoint"] = new((f, m) => f.RawAsync(m, "GET", "/v2/granted/./run"), "GET", Granted),
        ["GraphQL query, body byte for byte"] = new(
            (f, m) => f.SendAsync(m, HttpMethod.Post, "/graphql", BypassFixture.Json(QueryBody)), "POST", "/graphql", QueryBody),
        ["GraphQL query whose block string mentions a mutation"] = new(
            (f, m) => f.SendAsync(m, HttpMethod.Post, "/graphql", BypassFixture.Json(BlockStringBody)), "POST", "/graphql", BlockStringBody),
        ["GraphQL GET query with api_key"] = new(
            (f, m) => f.SendAsync(m, HttpMethod.Get, $"{GetQuery}&api_key={f.Key}", authorization: ""), "GET", GetQuery),
        ["key with surrounding white space"] = new(
            (f, m) => f.RawAsync(m, "GET", Granted, [$"Authorization: \t Bearer  \t{f.Key}  \t"], withKey: false), "GET", Granted),
        ["bare key with surrounding white space"] = new(
            (f, m) => f.RawAsync(m, "GET", Granted, [$"Authorization:    {f.Key}\t"], withKey: false), "GET", Granted),
        ["BEARER upper-case scheme"] = new((f, m) => f.SendAsync(m, HttpMethod.Get, Granted, authorization: "BEARER " + f.Key), "GET", Granted),
        ["the same key in the header and in api_key"] = new((f, m) => f.SendAsync(m, HttpMethod.Get, $"{Granted}?api_key={f.Key}"), "GET", Granted),
        ["the same key on two Authorization lines"] = new((f, m) => f.RawAsync(m, "GET", Granted, [$"Authorization: {f.Key}"]), "GET", Granted),
        ["api%5Fkey is read and stripped, x kept"] = new(
            (f, m) => f.SendAsync(m, HttpMethod.Get, $"{Granted}?x=1&api%5Fkey={f.Key}", authorization: ""), "GET", $"{Granted}?x=1"),
    };

    public static TheoryData<string> AllowedNames => new(AllowedRequests.Keys);

    [Theory]
    [MemberData(nameof(AllowedNames))]
    public async Task AllowedRequest_ReachesTheUpstreamWithoutTheKey(string name)
    {
        var allowed = AllowedRequests[name];
        fixture.Upstream.Clear();
        var marker = Guid.NewGuid().ToString("N");

        var response = await allowed.Send(fixture, marker);

        Assert.True(response.Status == 200, $"[{name}] expected the upstream's 200, got {response}");
        var seen = fixture.Upstream.Received.Where(r => r.Header(BypassFixture.MarkerHeader) == marker).ToArray();
        Assert.True(seen.Length == 1 && fixture.Upstream.Count == 1, $"[{name}] the upstream saw {fixture.Upstream.Count} request(s), {seen.Length} of this case");
        AssertClean(name, seen[0]);
        Assert.True(allowed.Method == seen[0].Method, $"[{name}] upstream saw method {seen[0].Method}");
        Assert.True(allowed.Target == seen[0].RawTarget, $"[{name}] upstream saw target {seen[0].RawTarget}");
        if (allowed.Body is not null)
        {
            Assert.True(allowed.Body == Encoding.UTF8.GetString(seen[0].Body), $"[{name}] body changed on the way");
        }
    }

    [Fact]
    public async Task ApiKeyParameter_IsStrippedAndOtherParametersKept_OverrideHeadersNotForwarded()
    {
        fixture.Upstream.Clear();
        var marker = Guid.NewGuid().ToString("N");

        var response = await fixture.SendAsync(marker, HttpMethod.Get, $"{Granted}?api_key={fixture.Key}&x=1", authorization: "", edit: request =>
        {
            request.Headers.Add("X-HTTP-Method-Override", "DELETE");
            request.Headers.Add("X-HTTP-Method", "DELETE");
            request.Headers.Add("X-Method-Override", "DELETE");
        });

        Assert.Equal(200, response.Status);
        var seen = Assert.Single(fixture.Upstream.Received);
        Assert.Equal($"{Granted}?x=1", seen.RawTarget);
        Assert.Equal("GET", seen.Method);
        AssertClean("api_key and x", seen);
        Assert.Null(seen.Header("X-HTTP-Method-Override"));
        Assert.Null(seen.Header("X-HTTP-Method"));
        Assert.Null(seen.Header("X-Method-Override"));
    }

    private void AssertClean(string name, RecordedRequest seen)
    {
        Assert.False(seen.Contains(fixture.Key), $"[{name}] the upstream saw the key");
        Assert.True(seen.Header("Authorization") is null, $"[{name}] the upstream saw an Authorization header");
        Assert.DoesNotContain("api_key", seen.RawTarget, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("api%5f", seen.RawTarget, StringComparison.OrdinalIgnoreCase);
        foreach (var header in new[] { "X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override" })
        {
            Assert.True(seen.Header(header) is null, $"[{name}] the upstream saw {header}");
        }
    }
}
