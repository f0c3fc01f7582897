using Gateway.GraphQL;

namespace Gateway.Tests.GraphQL;

// A document classified again is answered from DocumentVerdictCache: the answer must be the one parsing gives.
public class DocumentVerdictCacheTests
{
    [Theory]
    [InlineData("query CacheQ1 { a }", GraphQLNeed.Read)]
    [InlineData("subscription CacheS1 { e }", GraphQLNeed.Read)]
    [InlineData("mutation CacheM1 { a }", GraphQLNeed.ReadWrite)]
    [InlineData("query CacheQ2 { a } mutation CacheM2 { b }", GraphQLNeed.ReadWrite)]
    public void ClassifyDocument_Repeated_SameNeed(string document, GraphQLNeed need)
    {
        for (var i = 0; i < 3; i++)
        {
            var verdict = GraphQLClassifier.ClassifyDocument(document);
            Assert.False(verdict.IsRefused, verdict.Detail);
            Assert.Equal(need, verdict.Need);
        }
    }

    [Fact]
    public void ClassifyGet_MutationSeenBeforeOverPost_StillRefused()
    {
        const string document = "mutation CacheGet { a }";
        Assert.Equal(GraphQLNeed.ReadWrite, GraphQLClassifier.ClassifyDocument(document).Need);
        Assert.True(DocumentVerdictCache.TryGet(document, out var hasMutation));
        Assert.True(hasMutation);

        var verdict = GraphQLClassifier.ClassifyGet(document);
        Assert.Equal(GraphQLRefusal.MethodNotAllowed, verdict.Refusal);
    }

    [Fact]
    public void ClassifyDocument_Refused_NotCached()
    {
        const string typeSystem = "type CacheT { a: Int }";
        Assert.True(GraphQLClassifier.ClassifyDocument(typeSystem).IsRefused);
        Assert.False(DocumentVerdictCache.TryGet(typeSystem, out _));
        Assert.True(GraphQLClassifier.ClassifyDocument(typeSystem).IsRefused);
    }

    [Fact]
    public void ClassifyDocument_Long_NotCached()
    {
        var document = "query CacheLong { " + string.Join(' ', Enumerable.Range(0, DocumentVerdictCache.MaxDocumentLength / 6).Select(i => $"f{i:D4}")) + " }";
        Assert.True(document.Length > DocumentVerdictCache.MaxDocumentLength);
        Assert.Equal(GraphQLNeed.Read, GraphQLClassifier.ClassifyDocument(document).Need);
        Assert.False(DocumentVerdictCache.TryGet(document, out _));
    }
}
