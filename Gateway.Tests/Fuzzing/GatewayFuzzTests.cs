using System.Net.Http.Headers;
using System.Text;
using CsCheck;
using Gateway.GraphQL;
using Gateway.Tests.Enforcement;
using Xunit.Abstractions;

namespace Gateway.Tests.Fuzzing;

/// <summary>A GraphQL request as sent: its form, and for model cases what the model says it holds.</summary>
public sealed record GraphQLCase(string Form, byte[] Body, Holds? Holds)
{
    public override string ToString() => $"{Form}: {FuzzInput.Print(Body)}";
}

/// <summary>
/// Generated requests through a real gateway (real Kestrel listeners, real store, recording upstream), with a key
/// that may read GraphQL and use the endpoint <c>granted</c> only. The gateway never answers 5xx, and nothing the
/// key may not do reaches the upstream. Case counts are in the names, multiplied by GATEWAY_FUZZ_ITERATIONS.
/// </summary>
public sealed class GatewayFuzzTests(GatewayFuzzFixture gateway, ITestOutputHelper output) : IClassFixture<GatewayFuzzFixture>
{
    private const int MaxGetTarget = 6_000;

    private static readonly Gen<GraphQLDoc> AnyDocument = Gen.Frequency<GraphQLDoc>(
        (12, GraphQLGenerators.Document), (3, GraphQLSizeGenerators.Deep), (1, GraphQLSizeGenerators.Aliased(960, 1_040)), (1, GraphQLSizeGenerators.TokenHeavy));

    private static readonly Gen<GraphQLCase> GraphQLCases = Gen.Frequency<GraphQLCase>(
        (4, GraphQLBodies.Request.Select(request => GraphQLBodies.Render(request)).Select(body => new GraphQLCase("json", body.Bytes, body.Holds))),
        (3, AnyDocument.Select(Rendered).Select(doc => new GraphQLCase("graphql", doc.Bytes, doc.Holds))),
        // A document too long for a request line goes as a body instead.
        (3, AnyDocument.Select(Rendered).Select(doc => new GraphQLCase(GetTarget(doc.Bytes).Length <= MaxGetTarget ? "get" : "graphql", doc.Bytes, doc.Holds))),
        (2, FuzzInput.Bytes.Select(bytes => new GraphQLCase("json", bytes, null))),
        (2, FuzzInput.Bytes.Select(bytes => new GraphQLCase("graphql", bytes, null))),
        (2, FuzzInput.Bytes.Select(bytes => new GraphQLCase("graphql with a mutation", [.. Encoding.UTF8.GetBytes(FuzzInput.Mutation + "\n"), .. bytes], null))));

    [Fact]
    public async Task GraphQLRequests_Never5xx_NeverForwardedAboveTheKeysScope_600Cases()
    {
        var kinds = new Dictionary<string, int>();
        await FuzzRun.CheckAsync(output, nameof(GraphQLRequests_Never5xx_NeverForwardedAboveTheKeysScope_600Cases), 600, GraphQLCases, async @case =>
        {
            var marker = Guid.NewGuid().ToString("N");
            var response = await SendAsync(marker, @case);
            var forwarded = gateway.Forwarded(marker);
            Assert.True(response.Status < 500, $"answered {response}");
            if (forwarded is not null)
            {
                // Forwarded means judged: the body the upstream got is the body that was judged, byte for byte.
                Assert.Equal(@case.Form == "get" ? [] : @case.Body, forwarded.Body);
            }

            var outcome = forwarded is null ? $"refused {response.Status}" : "forwarded";
            if (@case.Form == "graphql with a mutation")
            {
                Assert.True(forwarded is null, "a document holding a mutation reached the upstream with a read-only key");
            }
            else if (@case.Holds is { } holds)
            {
                // The model knows what the request needs: the gateway must answer exactly that.
                var (status, code) = Expected(holds, @case.Form == "get");
                Assert.True(status == response.Status && code == response.Code, $"expected {status} {code}, got {response} ({holds})");
                Assert.Equal(status == 200, forwarded is not null);
                outcome = $"model {outcome}";
            }

            kinds[outcome] = kinds.GetValueOrDefault(outcome) + 1;
        }, @case => @case.ToString());
        output.WriteLine(string.Join(", ", kinds.OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => $"{k.Key}: {k.Value}")));
    }

    /// <summary>
    /// GraphQL GET query strings (README: "How a request is judged"): the answer is the model's, exactly, and a forwarded request's query
    /// string holds no ';' and no api_key. Sent raw: HttpClient would turn %71uery into query.
    /// </summary>
    [Fact]
    public async Task GraphQLQueryStrings_AnsweredAsTheModelSays_500Cases()
    {
        var kinds = new Dictionary<string, int>();
        await FuzzRun.CheckAsync(output, nameof(GraphQLQueryStrings_AnsweredAsTheModelSays_500Cases), 500, QueryStringModel.Case(gateway.Key), async @case =>
        {
            var marker = Guid.NewGuid().ToString("N");
            var response = await gateway.RawAsync(marker, "GET", @case.ToString());
            var forwarded = gateway.Forwarded(marker);
            var (status, code) = QueryStringModel.Expected(@case, gateway.Key);
            Assert.True(status == response.Status && code == response.Code, $"expected {status} {code}, got {response}");
            Assert.Equal(status == 200, forwarded is not null);
            if (forwarded is not null)
            {
                Assert.DoesNotContain(';', forwarded.RawTarget);
                Assert.DoesNotContain("api_key", forwarded.RawTarget, StringComparison.OrdinalIgnoreCase);
                Assert.DoesNotContain("api%5f", forwarded.RawTarget, StringComparison.OrdinalIgnoreCase);
            }

            var outcome = $"{status} {code}";
            kinds[outcome] = kinds.GetValueOrDefault(outcome) + 1;
        }, @case => @case.ToString());
        output.WriteLine(string.Join(", ", kinds.OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => $"{k.Key}: {k.Value}")));
        Assert.True(kinds.GetValueOrDefault("200 ") > 0 && kinds.Count >= 3, "the generator did not reach every verdict: the property proved little");
    }

    [Fact]
    public async Task Paths_NeverJudgedAgainstAnotherEndpoint_Never5xx_1500Cases()
    {
        var kinds = new Dictionary<string, int>();
        var examples = new List<string>();
        await FuzzRun.CheckAsync(output, nameof(Paths_NeverJudgedAgainstAnotherEndpoint_Never5xx_1500Cases), 1_500, PathModel.Case, async @case =>
        {
            var marker = Guid.NewGuid().ToString("N");
            var response = await gateway.RawAsync(marker, @case.Method, @case.Target);
            var forwarded = gateway.Forwarded(marker);
            Assert.True(response.Status < 500, $"answered {response}");
            if (forwarded is not null)
            {
                // Only the endpoint the key grants may be reached, and only under its own name: the decoded
                // target named it, and what the upstream received names it in the endpoint's place, however a lax
                // upstream would read it (decoding %2F and %5C before splitting, once or twice).
                Assert.Equal(PathModel.Granted, PathModel.DecodedEndpoint(@case.Target));
                Assert.Equal(PathModel.Granted, EndpointSegment(forwarded.Path));
                Assert.Equal(PathModel.Granted, EndpointSegment(forwarded.RawTarget));
                foreach (var (reading, endpoint) in PathModel.Readings(forwarded.RawTarget))
                {
                    Assert.True(endpoint == PathModel.Granted, $"forwarded as {forwarded.RawTarget}, which read {reading} names endpoint '{endpoint}'");
                }
            }

            if (PathModel.HasPathParameter(@case.Target))
            {
                // The model sees a ';' (raw, %3B, %253B): never forwarded, and refused as invalid_path unless Kestrel
                // (400, no problem document) or routing (404) refused it first.
                Assert.True(forwarded is null, $"a path holding a ';' reached the upstream as {forwarded?.RawTarget}");
                Assert.True(response.Code is null or "invalid_path" || response.Status == 404, $"a path holding a ';' answered {response}");
            }

            var outcome = forwarded is not null ? "forwarded" : $"refused {response.Status} {response.Code}";
            kinds[outcome] = kinds.GetValueOrDefault(outcome) + 1;
            if (forwarded is not null && @case.Target != "/v2/granted" && examples.Count < 12)
            {
                examples.Add($"{@case} -> {forwarded.RawTarget}");
            }
        }, @case => @case.ToString());
        output.WriteLine("Some forwarded targets: " + string.Join(" | ", examples));
        output.WriteLine(string.Join(", ", kinds.OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => $"{k.Key}: {k.Value}")));
        Assert.True(kinds.GetValueOrDefault("forwarded") > 0, "no generated path reached the upstream: the property proved nothing");
    }

    private static (int Status, string? Code) Expected(Holds holds, bool overGet)
    {
        if (holds.OverLimits(GraphQLLimits.Default))
        {
            return (400, "invalid_graphql");
        }

        if (overGet && holds.HasMutation)
        {
            return (405, "method_not_allowed");
        }

        return holds.HasMutation ? (403, "scope_denied") : (200, null);
    }

    private Task<ProxyResponse> SendAsync(string marker, GraphQLCase @case)
    {
        if (@case.Form == "get")
        {
            return gateway.SendAsync(marker, HttpMethod.Get, GetTarget(@case.Body), null);
        }

        var content = new ByteArrayContent(@case.Body);
        content.Headers.ContentType = new MediaTypeHeaderValue(@case.Form == "json" ? "application/json" : "application/graphql");
        return gateway.SendAsync(marker, HttpMethod.Post, "/graphql", content);
    }

    private static string GetTarget(byte[] document) => "/graphql?query=" + Uri.EscapeDataString(Encoding.UTF8.GetString(document));

    private static (byte[] Bytes, Holds Holds) Rendered(GraphQLDoc doc)
    {
        var (text, tokens) = GraphQLRenderer.Render(doc);
        return (Encoding.UTF8.GetBytes(text), Holds.Of(doc, tokens));
    }

    // "/v2/{endpoint}/..." (a raw target may carry a query, which the split leaves in the last segment).
    private static string? EndpointSegment(string path)
    {
        var segments = path.Split('?', 2)[0].Split('/');
        return segments.Length > 2 ? segments[2] : null;
    }
}
