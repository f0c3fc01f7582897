using System.Text;
using Gateway.GraphQL;
using Gateway.Observability;
using Microsoft.Extensions.DependencyInjection;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.GraphQL;

// The table is looked up by the decoded characters of the request's document (a pooled buffer), not by a string:
// a hit makes no string, and the key is the document the upstream runs, i.e. the JSON string after unescaping.
public class AcceptedDocumentsSpanTests
{
    [Fact]
    public void JsonBody_HitOnAnAcceptedDocument_MakesNoString()
    {
        var accepted = new AcceptedDocuments(capacity: 8, maxLength: 64 * 1024);
        // About 1 KB of document: a string of it would be over 2 KB on the heap.
        string document = "query Q { " + string.Join(' ', Enumerable.Range(0, 150).Select(i => $"f{i}")) + " }";
        byte[] body = Encoding.UTF8.GetBytes("{\"query\":\"" + document + "\",\"variables\":{\"a\":1}}");

        // The first call parses and keeps the document; the second warms the pool's per-thread buffers.
        Assert.False(GraphQLClassifier.ClassifyJsonBody(body, GraphQLLimits.Default, accepted).IsRefused);
        Assert.False(GraphQLClassifier.ClassifyJsonBody(body, GraphQLLimits.Default, accepted).IsRefused);

        long before = GC.GetAllocatedBytesForCurrentThread();
        var verdict = GraphQLClassifier.ClassifyJsonBody(body, GraphQLLimits.Default, accepted);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(GraphQLNeed.Read, verdict.Need);
        Assert.True(allocated < document.Length, $"a hit allocated {allocated} bytes for a {document.Length}-char document");
    }

    [Fact]
    public void DocumentBody_HitOnAnAcceptedDocument_MakesNoString()
    {
        var accepted = new AcceptedDocuments(capacity: 8, maxLength: 64 * 1024);
        string document = "query Q { " + string.Join(' ', Enumerable.Range(0, 150).Select(i => $"f{i}")) + " }";
        byte[] body = Encoding.UTF8.GetBytes(document);
        GraphQLClassifier.ClassifyDocumentBody(body, GraphQLLimits.Default, accepted);
        GraphQLClassifier.ClassifyDocumentBody(body, GraphQLLimits.Default, accepted);

        long before = GC.GetAllocatedBytesForCurrentThread();
        var verdict = GraphQLClassifier.ClassifyDocumentBody(body, GraphQLLimits.Default, accepted);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(GraphQLNeed.Read, verdict.Need);
        Assert.True(allocated < document.Length, $"a hit allocated {allocated} bytes for a {document.Length}-char document");
    }

    // JSON escapes are spelling, not content: "{ \u0061 }" in JSON is the document "{ a }" for the upstream too,
    // so it is the same document and the same entry.
    [Fact]
    public void JsonEscapedSpelling_HitsTheEntryOfTheDecodedDocument()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        using var metrics = new GatewayMetrics(meters);
        using var lookups = new CounterReader(meters, "gateway.graphql.document_cache.lookups");
        var accepted = new AcceptedDocuments(Options.Create(new GraphQLDocumentCacheOptions()), metrics);

        GraphQLClassifier.ClassifyJsonBody("""{"query":"mutation { a }"}"""u8, GraphQLLimits.Default, accepted);
        var first = lookups.Changes().Select(tags => tags["result"]).ToList();
        var escaped = GraphQLClassifier.ClassifyJsonBody("""{"query":"\u006dutation { \u0061 }"}"""u8, GraphQLLimits.Default, accepted);

        Assert.Equal(GraphQLNeed.ReadWrite, escaped.Need);
        Assert.Equal(["miss"], first);
        Assert.Equal(["hit"], lookups.Changes().Select(tags => tags["result"]));
        Assert.Equal(1, accepted.Count);
    }

    // An escape that survives JSON decoding (a GraphQL string's own \u0061) is other text than "a": another entry.
    [Fact]
    public void GraphQLEscapeInTheDecodedText_IsAnotherDocument()
    {
        var accepted = new AcceptedDocuments(capacity: 8, maxLength: 1024);

        GraphQLClassifier.ClassifyJsonBody("""{"query":"{ a(x: \"a\") }"}"""u8, GraphQLLimits.Default, accepted);
        GraphQLClassifier.ClassifyJsonBody("""{"query":"{ a(x: \"\\u0061\") }"}"""u8, GraphQLLimits.Default, accepted);

        Assert.Equal(2, accepted.Count);
        Assert.True(accepted.TryGet("{ a(x: \"a\") }", out _));
        Assert.True(accepted.TryGet("{ a(x: \"\\u0061\") }", out _));
    }

    [Fact]
    public void SpanLookup_IsExact()
    {
        var accepted = new AcceptedDocuments(capacity: 8, maxLength: 100);
        accepted.Add("{ a }", new DocumentFacts(false, 1, 0, 3));
        char[] buffer = "xx{ a }xx".ToCharArray();

        Assert.True(accepted.TryGet(buffer.AsSpan(2, 5), out _));
        Assert.False(accepted.TryGet(buffer.AsSpan(2, 6), out _));
        Assert.False(accepted.TryGet(buffer.AsSpan(1, 5), out _));
    }
}
