using Gateway.GraphQL;

namespace Gateway.Tests.GraphQL;

// The table of accepted documents behind ClassifyDocument: exact text only, bounded, refusals never kept.
public class AcceptedDocumentsTests
{
    [Fact]
    public void Added_IsFoundByTheSameTextOnly()
    {
        var accepted = new AcceptedDocuments(capacity: 8, maxLength: 100);
        accepted.Add("mutation { a }", hasMutation: true);

        Assert.True(accepted.TryGet("mutation { a }", out var hasMutation));
        Assert.True(hasMutation);
        Assert.False(accepted.TryGet("mutation { a } ", out _));
        Assert.False(accepted.TryGet("MUTATION { a }", out _));
    }

    [Fact]
    public void LongerThanMaxLength_IsNotKept()
    {
        var accepted = new AcceptedDocuments(capacity: 8, maxLength: 10);
        accepted.Add("{ aaaaaaaaaaaaaaa }", hasMutation: false);

        Assert.False(accepted.TryGet("{ aaaaaaaaaaaaaaa }", out _));
        Assert.Equal(0, accepted.Count);
    }

    [Fact]
    public void PastCapacity_IsEmptiedAndStaysBounded()
    {
        var accepted = new AcceptedDocuments(capacity: 4, maxLength: 100);
        for (var i = 0; i < 100; i++)
        {
            accepted.Add($"{{ a{i} }}", hasMutation: false);
            Assert.InRange(accepted.Count, 1, 4);
        }

        Assert.True(accepted.TryGet("{ a99 }", out _));
        Assert.False(accepted.TryGet("{ a0 }", out _));
    }

    [Fact]
    public void ConcurrentAdds_StayNearCapacity()
    {
        var accepted = new AcceptedDocuments(capacity: 64, maxLength: 100);
        Parallel.For(0, 10_000, i => accepted.Add($"{{ a{i} }}", hasMutation: false));

        Assert.InRange(accepted.Count, 0, 64 + Environment.ProcessorCount);
    }

    [Theory]
    [InlineData("query Q { a }", GraphQLNeed.Read)]
    [InlineData("query Q { a } mutation M { b }", GraphQLNeed.ReadWrite)]
    [InlineData("subscription S { e }", GraphQLNeed.Read)]
    public void ClassifyDocument_SameDocumentAgain_SameVerdict(string document, GraphQLNeed need)
    {
        // The second call is answered from the table; it must say exactly what the parse said.
        var first = GraphQLClassifier.ClassifyDocument(document);
        var second = GraphQLClassifier.ClassifyDocument(document);

        Assert.Equal(first, second);
        Assert.Equal(need, second.Need);
        Assert.False(second.IsRefused);
    }

    [Fact]
    public void ClassifyGet_MutationSeenBeforeOverPost_IsStillRefused()
    {
        const string document = "mutation AcceptedDocumentsTests { a }";
        Assert.Equal(GraphQLNeed.ReadWrite, GraphQLClassifier.ClassifyDocument(document).Need);

        Assert.Equal(GraphQLRefusal.MethodNotAllowed, GraphQLClassifier.ClassifyGet(document).Refusal);
    }

    [Fact]
    public void RefusedDocument_IsRefusedAgain()
    {
        const string document = "type AcceptedDocumentsTests { a: Int }";
        var first = GraphQLClassifier.ClassifyDocument(document);
        var second = GraphQLClassifier.ClassifyDocument(document);

        Assert.True(first.IsRefused);
        Assert.Equal(first, second);
    }
}
