using Gateway.GraphQL;
using Gateway.Observability;
using Microsoft.Extensions.DependencyInjection;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.GraphQL;

// The table of accepted documents the classifier's callers hand it: exact text only, bounded, refusals never kept.
public class AcceptedDocumentsTests
{
    // One table per test: nothing is shared between tests or with the classifier's other callers.
    private readonly AcceptedDocuments _accepted = new(new GraphQLDocumentCacheOptions().MaxEntries, new GraphQLDocumentCacheOptions().MaxDocumentLength);

    [Fact]
    public void Added_IsFoundByTheSameTextOnly()
    {
        var accepted = new AcceptedDocuments(capacity: 8, maxLength: 100);
        accepted.Add("mutation { a }", new DocumentFacts(HasMutation: true, Depth: 1, Aliases: 0, Tokens: 4));

        Assert.True(accepted.TryGet("mutation { a }", out var facts));
        Assert.True(facts.HasMutation);
        Assert.False(accepted.TryGet("mutation { a } ", out _));
        Assert.False(accepted.TryGet("MUTATION { a }", out _));
    }

    [Fact]
    public void LongerThanMaxLength_IsNotKept()
    {
        var accepted = new AcceptedDocuments(capacity: 8, maxLength: 10);
        accepted.Add("{ aaaaaaaaaaaaaaa }", new DocumentFacts(false, 1, 0, 3));

        Assert.False(accepted.TryGet("{ aaaaaaaaaaaaaaa }", out _));
        Assert.Equal(0, accepted.Count);
    }

    [Fact]
    public void PastCapacity_IsEmptiedAndStaysBounded()
    {
        var accepted = new AcceptedDocuments(capacity: 4, maxLength: 100);
        for (var i = 0; i < 100; i++)
        {
            accepted.Add($"{{ a{i} }}", new DocumentFacts(false, 1, 0, 3));
            Assert.InRange(accepted.Count, 1, 4);
        }

        Assert.True(accepted.TryGet("{ a99 }", out _));
        Assert.False(accepted.TryGet("{ a0 }", out _));
    }

    [Fact]
    public void ConcurrentAdds_StayNearCapacity()
    {
        var accepted = new AcceptedDocuments(capacity: 64, maxLength: 100);
        Parallel.For(0, 10_000, i => accepted.Add($"{{ a{i} }}", new DocumentFacts(false, 1, 0, 3)));

        Assert.InRange(accepted.Count, 0, 64 + Environment.ProcessorCount);
    }

    [Fact]
    public void CachedDocument_StillSpendsTheRequestsAliasBudget()
    {
        // 600 aliases: one document fits the default 1,000, a batch of two does not, cached or not.
        var document = "{ " + string.Join(" ", Enumerable.Range(0, 600).Select(i => $"a{i}: f")) + " }";
        Assert.False(GraphQLClassifier.ClassifyDocument(document, GraphQLLimits.Default, _accepted).IsRefused);
        Assert.False(GraphQLClassifier.ClassifyDocument(document, GraphQLLimits.Default, _accepted).IsRefused);

        var body = System.Text.Encoding.UTF8.GetBytes(System.Text.Json.JsonSerializer.Serialize(new[] { new { query = document }, new { query = document } }));
        var batch = GraphQLClassifier.ClassifyJsonBody(body, GraphQLLimits.Default, _accepted);

        Assert.Equal(GraphQLRefusal.InvalidGraphQL, batch.Refusal);
        Assert.Contains("aliases", batch.Detail);
    }

    [Fact]
    public void CachedDocument_MeetsALowerDepthLimitInForce()
    {
        const string document = "{ a { b { c { d } } } }";
        Assert.False(GraphQLClassifier.ClassifyDocument(document, GraphQLLimits.Default, _accepted).IsRefused);

        var shallow = GraphQLClassifier.ClassifyDocument(document, new GraphQLLimits(MaxDepth: 2, MaxTokens: 10_000, MaxAliases: 1_000), _accepted);

        Assert.Equal(GraphQLRefusal.InvalidGraphQL, shallow.Refusal);
    }

    [Fact]
    public void CachedDocument_StillSpendsTheRequestsTokenBudget()
    {
        const string document = "{ a b c d e f g h }";
        var limits = new GraphQLLimits(MaxDepth: 20, MaxTokens: 15, MaxAliases: 1_000);
        Assert.False(GraphQLClassifier.ClassifyDocument(document, limits, _accepted).IsRefused);

        // Two copies in one batch: 20 tokens against a budget of 15.
        var body = System.Text.Encoding.UTF8.GetBytes(System.Text.Json.JsonSerializer.Serialize(new[] { new { query = document }, new { query = document } }));
        var batch = GraphQLClassifier.ClassifyJsonBody(body, limits, _accepted);

        Assert.Equal(GraphQLRefusal.InvalidGraphQL, batch.Refusal);
        Assert.Contains("tokens", batch.Detail);
    }

    [Theory]
    [InlineData("query Q { a }", GraphQLNeed.Read)]
    [InlineData("query Q { a } mutation M { b }", GraphQLNeed.ReadWrite)]
    [InlineData("subscription S { e }", GraphQLNeed.Read)]
    public void ClassifyDocument_SameDocumentAgain_SameVerdict(string document, GraphQLNeed need)
    {
        // The second call is answered from the table; it must say exactly what the parse said.
        var first = GraphQLClassifier.ClassifyDocument(document, GraphQLLimits.Default, _accepted);
        var second = GraphQLClassifier.ClassifyDocument(document, GraphQLLimits.Default, _accepted);

        Assert.Equal(first, second);
        Assert.Equal(need, second.Need);
        Assert.False(second.IsRefused);
    }

    [Fact]
    public void ClassifyGet_MutationSeenBeforeOverPost_IsStillRefused()
    {
        const string document = "mutation AcceptedDocumentsTests { a }";
        Assert.Equal(GraphQLNeed.ReadWrite, GraphQLClassifier.ClassifyDocument(document, GraphQLLimits.Default, _accepted).Need);

        Assert.Equal(GraphQLRefusal.MethodNotAllowed, GraphQLClassifier.ClassifyGet(document, GraphQLLimits.Default, _accepted).Refusal);
    }

    [Fact]
    public void RefusedDocument_IsRefusedAgain()
    {
        const string document = "type AcceptedDocumentsTests { a: Int }";
        var first = GraphQLClassifier.ClassifyDocument(document, GraphQLLimits.Default, _accepted);
        var second = GraphQLClassifier.ClassifyDocument(document, GraphQLLimits.Default, _accepted);

        Assert.True(first.IsRefused);
        Assert.Equal(first, second);
    }

    [Fact]
    public void CachedDocument_IsAnsweredFromTheTable()
    {
        const string document = "query Q { a }";
        GraphQLClassifier.ClassifyDocument(document, GraphQLLimits.Default, _accepted);

        Assert.Equal(1, _accepted.Count);
        Assert.True(_accepted.TryGet(document, out var facts));
        Assert.Equal(new DocumentFacts(HasMutation: false, Depth: 1, Aliases: 0, Tokens: -1), facts);
    }

    [Fact]
    public void MaxEntriesZero_KeepsNothing()
    {
        var off = new AcceptedDocuments(capacity: 0, maxLength: 100);
        GraphQLClassifier.ClassifyDocument("{ a }", GraphQLLimits.Default, off);

        Assert.Equal(0, off.Count);
        Assert.False(off.TryGet("{ a }", out _));
    }

    [Fact]
    public void Lookups_AreCountedAsHitOrMiss()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        using var metrics = new GatewayMetrics(meters);
        using var lookups = new CounterReader(meters, "gateway.graphql.document_cache.lookups");
        var accepted = new AcceptedDocuments(Options.Create(new GraphQLDocumentCacheOptions()), metrics);
        var counted = new List<string>();

        // Read after each lookup, as a scrape would: which result each one counted, in order.
        foreach (var document in new[] { "{ a }", "{ a }", "{ b }" })
        {
            GraphQLClassifier.ClassifyDocument(document, GraphQLLimits.Default, accepted);
            counted.AddRange(lookups.Changes().Select(tags => tags["result"]));
        }

        Assert.Equal(["miss", "hit", "miss"], counted);
    }
}
