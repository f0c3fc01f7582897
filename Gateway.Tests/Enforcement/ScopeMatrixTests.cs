using System.Text;

namespace Gateway.Tests.Enforcement;

/// <summary>
/// Every key shape against every kind of request in every key placement, through the real gateway to a recording
/// upstream. Expected outcomes come from <see cref="ScopeMatrixCases.Expected"/>, the README's rules written out.
/// Cases of one class run one at a time (xunit), and each also finds its own requests by a unique marker header.
/// </summary>
public sealed class ScopeMatrixTests(ScopeMatrixFixture fixture) : IClassFixture<ScopeMatrixFixture>
{
    private const string MarkerHeader = "X-Matrix-Case";

    public static TheoryData<string> Cases => ScopeMatrixCases.All();

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Request_IsJudgedAsTheContractSays(string @case)
    {
        var parts = @case.Split(ScopeMatrixCases.Separator);
        var shape = ScopeMatrixCases.Shape(parts[0]);
        var kind = ScopeMatrixCases.Kind(parts[1]);
        var placement = Enum.Parse<Placement>(parts[2]);
        var key = fixture.KeyOf(shape.Name);
        var expected = ScopeMatrixCases.Expected(shape, kind);
        var marker = Guid.NewGuid().ToString("N");

        fixture.Upstream.Clear();
        using var request = Build(kind, placement, key, marker);
        using var sent = await fixture.Host.Proxy.SendAsync(request);
        var response = await ProxyResponse.FromAsync(sent);

        var mine = fixture.Upstream.Received.Where(r => r.Header(MarkerHeader) == marker).ToArray();
        Assert.True(expected.Status == response.Status, $"[{@case}] expected {expected}, got {response}");
        if (expected.IsForwarded)
        {
            Assert.True(mine.Length == 1, $"[{@case}] allowed, so the upstream should have seen it once; saw it {mine.Length} times");
            AssertForwardedFaithfully(@case, kind, mine[0]);
        }
        else
        {
            Assert.True(mine.Length == 0, $"[{@case}] refused ({expected}), yet the upstream saw it");
            AssertRefusal(@case, kind, expected, response);
        }

        Assert.True(fixture.Upstream.Count == mine.Length, $"[{@case}] the upstream saw {fixture.Upstream.Count - mine.Length} requests of no case");
        foreach (var seen in mine)
        {
            Assert.False(seen.Contains(key), $"[{@case}] the upstream saw the key");
            Assert.True(seen.Header("Authorization") is null, $"[{@case}] the upstream saw an Authorization header");
            Assert.DoesNotContain("api_key", seen.RawTarget, StringComparison.OrdinalIgnoreCase);
        }
    }

    /// <summary>A few rows of the derivation, written out by hand, so a slip in <see cref="ScopeMatrixCases.Expected"/> shows.</summary>
    [Theory]
    [InlineData("all", "DELETE ep-other", "forwarded")]
    [InlineData("readonly", "HEAD ep-rw", "forwarded")]
    [InlineData("readonly", "POST ep-other", "403 scope_denied")]
    [InlineData("restricted", "DELETE ep-rw", "forwarded")]
    [InlineData("restricted", "GET ep-none", "403 scope_denied")]
    [InlineData("restricted", "GET ep-other", "forwarded")]
    [InlineData("restricted", "POST ep-other", "403 scope_denied")]
    [InlineData("graphql-none", "graphql GET mutation", "405 method_not_allowed")]
    [InlineData("graphql-none", "graphql POST json query", "403 scope_denied")]
    [InlineData("graphql-read", "graphql POST json subscription", "forwarded")]
    [InlineData("graphql-read", "graphql POST json batch with a mutation", "403 scope_denied")]
    [InlineData("graphql-read", "GET ep-rw", "403 scope_denied")]
    [InlineData("graphql-readwrite", "graphql POST application/graphql mutation", "forwarded")]
    [InlineData("legacy-read", "DELETE ep-other", "forwarded")]
    [InlineData("legacy-read", "graphql POST json mutation", "403 scope_denied")]
    [InlineData("legacy-readwrite", "graphql POST json mutation", "forwarded")]
    [InlineData("disabled", "graphql GET mutation", "403 key_disabled")]
    [InlineData("expired", "GET ep-rw", "403 key_expired")]
    [InlineData("deleted", "graphql POST json query", "401 invalid_key")]
    public void Expected_MatchesHandWrittenRows(string shape, string kind, string outcome) =>
        Assert.Equal(outcome, ScopeMatrixCases.Expected(ScopeMatrixCases.Shape(shape), ScopeMatrixCases.Kind(kind)).ToString());

    internal static HttpRequestMessage Build(RequestKind kind, Placement placement, string key, string marker)
    {
        var target = placement == Placement.QueryParameter
            ? kind.Path + (kind.Path.Contains('?') ? '&' : '?') + "api_key=" + Uri.EscapeDataString(key)
            : kind.Path;
        var request = new HttpRequestMessage(kind.Method, target);
        request.Headers.TryAddWithoutValidation(MarkerHeader, marker);
        switch (placement)
        {
            case Placement.BearerHeader:
                request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + key);
                break;
            case Placement.BareHeader:
                request.Headers.TryAddWithoutValidation("Authorization", key);
                break;
            case Placement.LowerCaseBearer:
                request.Headers.TryAddWithoutValidation("Authorization", "bearer " + key);
                break;
        }

        if (kind.Body is not null)
        {
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(kind.Body));
            request.Content.Headers.TryAddWithoutValidation("Content-Type", kind.ContentType);
        }

        return request;
    }

    private static void AssertForwardedFaithfully(string @case, RequestKind kind, Infrastructure.RecordedRequest seen)
    {
        Assert.True(kind.Method.Method == seen.Method, $"[{@case}] upstream saw method {seen.Method}");
        var expectedTarget = kind.Path;
        Assert.True(expectedTarget == seen.RawTarget, $"[{@case}] upstream saw target '{seen.RawTarget}', expected '{expectedTarget}'");
        var body = Encoding.UTF8.GetString(seen.Body);
        Assert.True((kind.Body ?? "") == body, $"[{@case}] upstream saw body '{body}', expected '{kind.Body}' byte for byte");
    }

    private static void AssertRefusal(string @case, RequestKind kind, Outcome expected, ProxyResponse response)
    {
        Assert.True(response.IsProblem, $"[{@case}] refusal is not problem+json: {response}");
        if (kind.Method == HttpMethod.Head)
        {
            // A HEAD response has no body, so the code cannot be read; the status and media type still tell.
            return;
        }

        response.AssertProblemShape($"[{@case}]");
        Assert.True(expected.Code == response.Code, $"[{@case}] expected code {expected.Code}, got {response}");
        if (expected.Status == 401)
        {
            Assert.True(response.Header("WWW-Authenticate")?.StartsWith("Bearer", StringComparison.Ordinal) == true,
                $"[{@case}] a 401 carries WWW-Authenticate: Bearer");
        }
    }
}
