namespace Gateway.Tests.Enforcement;

/// <summary>
/// Parser differentials (issue 9, findings 3 to 6), each a request the gateway would judge one way and an upstream
/// read another. A ';' in the path, raw or encoded (any case, also double-encoded), is 400 invalid_path;
/// on GraphQL routes the query string holds only query, operationName, variables, extensions (literal, once each)
/// and api_key, else 400 invalid_graphql; a method not all upper case is 405 method_not_allowed, before anything
/// else; on Endpoint routes a GET, HEAD or OPTIONS with a body (Content-Length above 0, or Transfer-Encoding) needs
/// readwrite. The key may read <c>readable</c> and GraphQL, and write <c>granted</c>.
/// </summary>
public sealed partial class BypassTests
{
    private static readonly string Mutation = Uri.EscapeDataString("mutation { podStop { id } }");
    private static readonly string Read = Uri.EscapeDataString("{ myself { id } }");
    private static readonly byte[] ReadBody = """{"query":"{ myself { id } }"}"""u8.ToArray();

    public static readonly IReadOnlyDictionary<string, Attempt> DifferentialAttempts = new Dictionary<string, Attempt>
    {
        // Finding 3: Tomcat, Jetty and Spring strip ";..." before resolving dot segments, so each names "other".
        ["..; segment to another endpoint"] = new(400, "invalid_path", Raw("POST", "/v2/granted/..;/other/run")),
        ["..;x=y segment to another endpoint"] = new(400, "invalid_path", Raw("POST", "/v2/granted/..;x=y/other/run")),
        ["..%3B segment to another endpoint"] = new(400, "invalid_path", Raw("POST", "/v2/granted/..%3B/other/run")),
        ["..%3b (lower case) segment to another endpoint"] = new(400, "invalid_path", Raw("POST", "/v2/granted/..%3b/other/run")),
        ["%2e%2e; segment to another endpoint"] = new(400, "invalid_path", Raw("POST", "/v2/granted/%2e%2e;/other/run")),
        ["%2E%2E%3B segment to another endpoint"] = new(400, "invalid_path", Raw("POST", "/v2/granted/%2E%2E%3B/other/run")),
        ["..%253B (double-encoded) segment"] = new(400, "invalid_path", Raw("POST", "/v2/granted/..%253B/other/run")),
        ["..%253b (double-encoded, lower case) segment"] = new(400, "invalid_path", Raw("POST", "/v2/granted/..%253b/other/run")),
        ["; parameter on the last segment"] = new(400, "invalid_path", Raw("GET", "/v2/granted/run;jsessionid=1")),
        ["; parameter on the endpoint id"] = new(400, "invalid_path", Raw("GET", "/v2/granted;v=1/run")),
        ["..; segment with no key"] = new(400, "invalid_path", RawWithoutKey("POST", "/v2/granted/..;/other/run")),

        // Finding 4: parsers that split on ';', fold "query[]", trim " query", or keep another of two values.
        ["GET ?x=1;query=mutation&query=read"] = new(400, "invalid_graphql", Raw("GET", $"/graphql?x=1;query={Mutation}&query={Read}")),
        ["GET ?query=read;query=mutation"] = new(400, "invalid_graphql", Raw("GET", $"/graphql?query={Read};query={Mutation}")),
        ["POST ?x=1;query=mutation with a read body"] = new(400, "invalid_graphql",
            (f, m) => f.RawAsync(m, "POST", $"/graphql?x=1;query={Mutation}", ["Content-Type: application/json"], ReadBody)),
        ["POST ?query[]=mutation with a read body"] = new(400, "invalid_graphql",
            (f, m) => f.RawAsync(m, "POST", $"/graphql?query[]={Mutation}", ["Content-Type: application/json"], ReadBody)),
        ["GET ?query[]=mutation&query=read"] = new(400, "invalid_graphql", Raw("GET", $"/graphql?query[]={Mutation}&query={Read}")),
        ["GET ?query%5B%5D=mutation&query=read"] = new(400, "invalid_graphql", Raw("GET", $"/graphql?query%5B%5D={Mutation}&query={Read}")),
        ["GET ?%20query=mutation&query=read"] = new(400, "invalid_graphql", Raw("GET", $"/graphql?%20query={Mutation}&query={Read}")),
        ["GET ?+query=mutation&query=read"] = new(400, "invalid_graphql", Raw("GET", $"/graphql?+query={Mutation}&query={Read}")),
        ["GET ?query.=mutation&query=read"] = new(400, "invalid_graphql", Raw("GET", $"/graphql?query.={Mutation}&query={Read}")),
        ["GET ?Query=mutation (another case)"] = new(400, "invalid_graphql", Raw("GET", $"/graphql?Query={Mutation}")),
        ["GET ?%71uery=read (encoded name)"] = new(400, "invalid_graphql", Raw("GET", $"/graphql?%71uery={Read}")),
        ["GET ?query=read&x=1 (unknown name)"] = new(400, "invalid_graphql", Raw("GET", $"/graphql?query={Read}&x=1")),
        ["GET ?query=read&debug=mutation (unknown name)"] = new(400, "invalid_graphql", Raw("GET", $"/graphql?query={Read}&debug={Mutation}")),
        ["GET operationName twice"] = new(400, "invalid_graphql", Raw("GET", $"/graphql?query={Read}&operationName=A&operationName=B")),
        ["GET variables twice"] = new(400, "invalid_graphql", Raw("GET", $"/graphql?query={Read}&variables=%7B%7D&variables=%7B%7D")),
        ["GET extensions twice"] = new(400, "invalid_graphql", Raw("GET", $"/graphql?query={Read}&extensions=%7B%7D&extensions=%7B%7D")),
        ["GET query twice, the same document"] = new(400, "invalid_graphql", Raw("GET", $"/graphql?query={Read}&query={Read}")),
        ["POST ?operationName=A&operationName=B with a read body"] = new(400, "invalid_graphql",
            (f, m) => f.RawAsync(m, "POST", "/graphql?operationName=A&operationName=B", ["Content-Type: application/json"], ReadBody)),
        ["POST ?x=1 with a read body"] = new(400, "invalid_graphql",
            (f, m) => f.RawAsync(m, "POST", "/graphql?x=1", ["Content-Type: application/json"], ReadBody)),
        // The key's own parameter keeps the credential rules: two different keys are ambiguous (checked first).
        ["GET two different api_key values"] = new(400, "ambiguous_key",
            (f, m) => f.RawAsync(m, "GET", $"/graphql?query={Read}&api_key={f.Key}&api_key={f.OtherKey}", withKey: false)),

        // Finding 5: "head" is HEAD to HttpClient and many servers, and a custom method to Kestrel.
        ["get on a read endpoint"] = new(405, "method_not_allowed", Raw("get", "/v2/readable/status/1")),
        ["head on a read endpoint"] = new(405, "method_not_allowed", Raw("head", "/v2/readable/status/1")),
        ["Head on a read endpoint"] = new(405, "method_not_allowed", Raw("Head", "/v2/readable/status/1")),
        ["hEAD on a read endpoint"] = new(405, "method_not_allowed", Raw("hEAD", "/v2/readable/status/1")),
        ["options on a read endpoint"] = new(405, "method_not_allowed", Raw("options", "/v2/readable/run")),
        ["Get on the granted endpoint"] = new(405, "method_not_allowed", Raw("Get", "/v2/granted/run")),
        ["delete on the granted endpoint"] = new(405, "method_not_allowed", Raw("delete", "/v2/granted/cancel/job-1")),
        ["puRGE on a read endpoint"] = new(405, "method_not_allowed", Raw("puRGE", "/v2/readable/run")),
        ["get with no key (checked first)"] = new(405, "method_not_allowed", RawWithoutKey("get", "/v2/readable/status/1")),
        ["get with a bad path (method first)"] = new(405, "method_not_allowed", Raw("get", "/v2/granted/..;/other/run")),
        ["get on GraphQL"] = new(405, "method_not_allowed", Raw("get", $"/graphql?query={Read}")),
        ["post on GraphQL"] = new(405, "method_not_allowed",
            (f, m) => f.RawAsync(m, "post", "/graphql", ["Content-Type: application/json"], ReadBody)),
        ["head on a Public route"] = new(405, "method_not_allowed", RawWithoutKey("head", "/open/x")),

        // Finding 6: an upstream that routes by path and ignores the method would act on the body. The answer to a
        // HEAD has no body, so its problem code cannot be read: the 403 and the silent upstream are what count.
        ["GET with a body on a read endpoint"] = new(403, "scope_denied",
            (f, m) => f.RawAsync(m, "GET", "/v2/readable/run", ["Content-Type: application/json"], """{"input":{}}"""u8.ToArray())),
        ["HEAD with a body on a read endpoint"] = new(403, null,
            (f, m) => f.RawAsync(m, "HEAD", "/v2/readable/run", ["Content-Type: application/json"], """{"input":{}}"""u8.ToArray())),
        ["OPTIONS with a body on a read endpoint"] = new(403, "scope_denied",
            (f, m) => f.RawAsync(m, "OPTIONS", "/v2/readable/run", ["Content-Type: application/json"], """{"input":{}}"""u8.ToArray())),
        ["GET with a 1-byte body on a read endpoint"] = new(403, "scope_denied", (f, m) => f.RawAsync(m, "GET", "/v2/readable/run", body: "x"u8.ToArray())),
        ["GET with a chunked body on a read endpoint"] = new(403, "scope_denied",
            (f, m) => f.RawAsync(m, "GET", "/v2/readable/run", ["Content-Type: application/json"], """{"input":{}}"""u8.ToArray(), chunked: true)),
        ["HEAD with a chunked body on a read endpoint"] = new(403, null,
            (f, m) => f.RawAsync(m, "HEAD", "/v2/readable/run", body: """{"input":{}}"""u8.ToArray(), chunked: true)),
        ["OPTIONS with a chunked body on a read endpoint"] = new(403, "scope_denied",
            (f, m) => f.RawAsync(m, "OPTIONS", "/v2/readable/run", body: """{"input":{}}"""u8.ToArray(), chunked: true)),
        ["GET with an empty chunked body on a read endpoint"] = new(403, "scope_denied",
            (f, m) => f.RawAsync(m, "GET", "/v2/readable/run", body: [], chunked: true)),
    };

    public static TheoryData<string> DifferentialAttemptNames => Names(DifferentialAttempts);

    [Theory]
    [MemberData(nameof(DifferentialAttemptNames))]
    public Task DifferentialAttempt_IsRefusedAndNeverReachesTheUpstream(string name) => AssertRefusedAsync(name, DifferentialAttempts[name]);
}
