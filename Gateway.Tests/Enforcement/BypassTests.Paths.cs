namespace Gateway.Tests.Enforcement;

/// <summary>
/// Paths and methods. Every target is written raw over a socket: HttpClient would normalise some of them.
/// Encoded slash or backslash (any case), a backslash, or an empty segment is 400 invalid_path; an
/// endpoint id outside <c>^[A-Za-z0-9_-]{1,64}$</c> is 400 invalid_endpoint_id; both before any key check; ids are
/// case-sensitive; method-override headers are ignored and the real method judged.
/// </summary>
public sealed partial class BypassTests
{
    private static readonly string Id65 = new('a', 65);

    public static readonly IReadOnlyDictionary<string, Attempt> PathAttempts = new Dictionary<string, Attempt>
    {
        ["%2F inside the endpoint id"] = new(400, "invalid_path", Raw("GET", "/v2/granted%2F..%2Fother/run")),
        ["%2f (lower case) inside the endpoint id"] = new(400, "invalid_path", Raw("GET", "/v2/granted%2fother/run")),
        ["%2F making the whole rest one segment"] = new(400, "invalid_path", Raw("POST", "/v2/granted%2Frun")),
        ["%2F after the endpoint id"] = new(400, "invalid_path", Raw("POST", "/v2/granted/run%2F..%2F..%2Fother%2Frun")),
        ["%5C inside the endpoint id"] = new(400, "invalid_path", Raw("GET", "/v2/granted%5Cother/run")),
        ["%5c (lower case) after the endpoint id"] = new(400, "invalid_path", Raw("GET", "/v2/granted/..%5c..%5cother/run")),
        ["raw backslash inside the endpoint id"] = new(400, "invalid_path", Raw("GET", "/v2/granted\\other/run")),
        ["raw backslash dot segments after the endpoint id"] = new(400, "invalid_path", Raw("GET", "/v2/granted/..\\..\\other/run")),
        // Kestrel decodes %25 once, so %252F arrives as %2F in the decoded path (README: "How a request is judged").
        ["double-encoded slash %252F"] = new(400, "invalid_path", Raw("GET", "/v2/granted%252Fother/run")),
        ["double-encoded backslash %255C"] = new(400, "invalid_path", Raw("GET", "/v2/granted%255cother/run")),
        ["empty segment after the endpoint id"] = new(400, "invalid_path", Raw("GET", "/v2/granted//run")),
        ["empty segment deeper in the operation"] = new(400, "invalid_path", Raw("DELETE", "/v2/granted/cancel//job")),
        // No route serves /v2//x (routing does not match an empty {endpointId}): 404, as for any path no route serves.
        ["empty segment in place of the endpoint id"] = new(404, null, Raw("GET", "/v2//granted/run")),
        // Kestrel removes dot segments before routing: the request is for "other", and judged so.
        ["dot segments to another endpoint"] = new(403, "scope_denied", Raw("GET", "/v2/granted/../other/run")),
        ["encoded dot segments %2E%2E to another endpoint"] = new(403, "scope_denied", Raw("GET", "/v2/granted/%2E%2E/other/run")),
        ["mixed encoded dot segments .%2e to another endpoint"] = new(403, "scope_denied", Raw("POST", "/v2/granted/.%2e/other/run")),
        ["endpoint id of 65 characters"] = new(400, "invalid_endpoint_id", Raw("GET", $"/v2/{Id65}/run")),
        ["endpoint id with a dot"] = new(400, "invalid_endpoint_id", Raw("GET", "/v2/gran.ted/run")),
        ["endpoint id with unicode (é)"] = new(400, "invalid_endpoint_id", Raw("GET", "/v2/grant%C3%A9d/run")),
        ["endpoint id with %20"] = new(400, "invalid_endpoint_id", Raw("GET", "/v2/gran%20ted/run")),
        // Kestrel itself refuses a path that decodes to a NUL (400, no problem document) before the gateway runs.
        ["endpoint id with an encoded NUL"] = new(400, null, Raw("GET", "/v2/granted%00/run")),
        ["endpoint id in another case (Granted)"] = new(403, "scope_denied", Raw("GET", "/v2/Granted/run")),
        ["endpoint id in another case (GRANTED), POST"] = new(403, "scope_denied", Raw("POST", "/v2/GRANTED/run")),
        // Check (1) runs before (2): a bad path is refused as such even with no key at all.
        ["encoded slash with no key"] = new(400, "invalid_path", RawWithoutKey("GET", "/v2/granted%2Fother/run")),
        ["bad endpoint id with no key"] = new(400, "invalid_endpoint_id", RawWithoutKey("GET", "/v2/gran.ted/run")),
        ["POST with X-HTTP-Method-Override: GET on a read endpoint"] =
            new(403, "scope_denied", Raw("POST", "/v2/readable/run", "X-HTTP-Method-Override: GET")),
        ["POST with X-HTTP-Method: GET on a read endpoint"] =
            new(403, "scope_denied", Raw("POST", "/v2/readable/run", "X-HTTP-Method: GET")),
        ["DELETE with X-Method-Override: HEAD on a read endpoint"] =
            new(403, "scope_denied", Raw("DELETE", "/v2/readable/cancel/job-1", "X-Method-Override: HEAD")),
        ["PUT on a read endpoint"] = new(403, "scope_denied", Raw("PUT", "/v2/readable/run")),
        ["PATCH on a read endpoint"] = new(403, "scope_denied", Raw("PATCH", "/v2/readable/run")),
        ["lower-case post on a read endpoint"] = new(405, "method_not_allowed", Raw("post", "/v2/readable/run")),
        ["an invented method on a read endpoint"] = new(403, "scope_denied", Raw("PURGE", "/v2/readable/run")),
    };

    public static TheoryData<string> PathAttemptNames => Names(PathAttempts);

    [Theory]
    [MemberData(nameof(PathAttemptNames))]
    public Task PathOrMethodAttempt_IsRefusedAndNeverReachesTheUpstream(string name) => AssertRefusedAsync(name, PathAttempts[name]);
}
