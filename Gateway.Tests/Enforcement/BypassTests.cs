namespace Gateway.Tests.Enforcement;

/// <summary>
/// Attempts to get a request past the gateway that the key does not allow, or to get the key past the gateway.
/// Each refused attempt must leave the upstream untouched. The key (see <see cref="BypassFixture"/>) has
/// endpoints <c>{"granted": "readwrite", "readable": "read"}</c> and graphql <c>read</c>.
/// Cases are split by theme across the partial files: paths and methods, GraphQL, keys, and positive controls.
/// </summary>
public sealed partial class BypassTests(BypassFixture fixture) : IClassFixture<BypassFixture>
{
    /// <summary>
    /// A refused attempt: the status and problem code expected (code null = refused before the gateway's own
    /// checks, by Kestrel or routing, so no problem document), and how to send it with the given marker.
    /// </summary>
    public sealed record Attempt(int Status, string? Code, Func<BypassFixture, string, Task<ProxyResponse>> Send)
    {
        /// <summary>A key refused by its form is refused without a store lookup.</summary>
        public bool NoStoreLookup { get; init; }
    }

    private static TheoryData<string> Names(IReadOnlyDictionary<string, Attempt> attempts) => new(attempts.Keys);

    private async Task AssertRefusedAsync(string name, Attempt attempt)
    {
        fixture.Upstream.Clear();
        var marker = Guid.NewGuid().ToString("N");
        var lookupsBefore = fixture.StoreLookups;

        var response = await attempt.Send(fixture, marker);

        var reached = fixture.Upstream.Received.Count(r => r.Header(BypassFixture.MarkerHeader) == marker);
        Assert.True(reached == 0 && fixture.Upstream.Count == 0,
            $"[{name}] the upstream saw {fixture.Upstream.Count} request(s), {reached} of them this attempt's; response {response}");
        Assert.True(attempt.Status == response.Status, $"[{name}] expected {attempt.Status} {attempt.Code}, got {response}");
        Assert.True(attempt.Code == response.Code, $"[{name}] expected code '{attempt.Code}', got {response}");
        if (attempt.Code is not null)
        {
            response.AssertProblemShape($"[{name}]");
        }

        if (attempt.Code == "missing_key")
        {
            Assert.True(response.Header("WWW-Authenticate") == "Bearer", $"[{name}] missing_key carries WWW-Authenticate: Bearer");
        }

        if (attempt.NoStoreLookup)
        {
            Assert.True(lookupsBefore == fixture.StoreLookups, $"[{name}] a key refused by its form cost a store lookup");
        }
    }

    private static Func<BypassFixture, string, Task<ProxyResponse>> Raw(string method, string target, params string[] headerLines) =>
        (f, marker) => f.RawAsync(marker, method, target, headerLines);

    private static Func<BypassFixture, string, Task<ProxyResponse>> RawWithoutKey(string method, string target, params string[] headerLines) =>
        (f, marker) => f.RawAsync(marker, method, target, headerLines, withKey: false);
}
