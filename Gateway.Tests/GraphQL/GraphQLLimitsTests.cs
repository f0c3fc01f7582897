using System.Text;
using Gateway.GraphQL;

namespace Gateway.Tests.GraphQL;

// GraphQLLimits: field depth (through fragments), tokens and aliases per request; just under passes, just over is
// refused as invalid_graphql, for documents, GET and JSON bodies (where a batch shares one budget).
public class GraphQLLimitsTests
{
    /// <summary>Only the parser's own limits: for tests about the parser, not about these limits.</summary>
    public static readonly GraphQLLimits ParserOnly = new(60, int.MaxValue, int.MaxValue);

    private static readonly GraphQLLimits Defaults = GraphQLLimits.Default;

    [Fact]
    public void Defaults_AreTheDocumentedOnes()
    {
        Assert.Equal(new GraphQLLimits(20, 10_000, 1_000), Defaults);
    }

    [Fact]
    public void IntrospectionQuery_Passes_UnderTheDefaults()
    {
        AssertNeed(GraphQLNeed.Read, GraphQLClassifier.ClassifyDocument(IntrospectionQuery.Text));
        AssertNeed(GraphQLNeed.Read, GraphQLClassifier.ClassifyGet(IntrospectionQuery.Text));
        AssertNeed(GraphQLNeed.Read, Json(IntrospectionQuery.Text));
        // graphql-js 17 clients may ask for a deeper TypeRef; 9 levels (its default) and more still pass.
        AssertNeed(GraphQLNeed.Read, GraphQLClassifier.ClassifyDocument(IntrospectionQuery.WithTypeRefDepth(9)));
    }

    [Theory]
    [InlineData(20, false)]
    [InlineData(21, true)]
    public void FieldDepth_AtTheLimitPasses_OverIsRefused(int depth, bool refused)
    {
        string nested = Fields(depth);
        AssertLimit(refused, "deeper than 20", GraphQLClassifier.ClassifyDocument("mutation " + nested), GraphQLNeed.ReadWrite);
        AssertLimit(refused, "deeper than 20", GraphQLClassifier.ClassifyGet(nested), GraphQLNeed.Read);
        AssertLimit(refused, "deeper than 20", Json(nested), GraphQLNeed.Read);
        AssertLimit(refused, "deeper than 20", GraphQLClassifier.ClassifyDocumentBody(Encoding.UTF8.GetBytes(nested)), GraphQLNeed.Read);
    }

    [Theory]
    // The introspection query's deepest path is 5 fields, then TypeRef's ofType levels, then a leaf: 20 at 14.
    [InlineData(14, false)]
    [InlineData(15, true)]
    public void FieldDepth_CountsThroughFragmentSpreads(int typeRefLevels, bool refused)
    {
        string document = IntrospectionQuery.WithTypeRefDepth(typeRefLevels);
        AssertLimit(refused, "deeper than 20", GraphQLClassifier.ClassifyDocument(document), GraphQLNeed.Read);
    }

    [Fact]
    public void FieldDepth_ThroughAChainOfFragments_IsCounted()
    {
        // Ten fragments of two levels each, spread one in the next: 20 levels in all; one field around is 21.
        var fragments = new StringBuilder();
        for (int i = 0; i < 10; i++)
        {
            fragments.Append("fragment F").Append(i).Append(" on T { a { b ").Append(i < 9 ? $"{{ ...F{i + 1} }}" : "").Append(" } }\n");
        }

        AssertNeed(GraphQLNeed.Read, GraphQLClassifier.ClassifyDocument("{ ...F0 }\n" + fragments));
        string over = "{ x { ...F0 } }\n" + fragments;
        Assert.Contains("deeper than 20", GraphQLClassifier.ClassifyDocument(over).Detail);
        AssertNeed(GraphQLNeed.Read, GraphQLClassifier.ClassifyDocument(over, Defaults with { MaxDepth = 21 }));
    }

    [Fact]
    public void FieldDepth_InlineFragmentsAndUnknownSpreadsAddNothing()
    {
        string inline = "{ " + string.Concat(Enumerable.Repeat("... on T { ", 30)) + "a " + Fields(19) + new string('}', 30) + " }";
        AssertNeed(GraphQLNeed.Read, GraphQLClassifier.ClassifyDocument(inline));
        AssertNeed(GraphQLNeed.Read, GraphQLClassifier.ClassifyDocument("{ a { ...Missing } }"));
    }

    [Theory]
    [InlineData("{ ...A } fragment A on T { a { ...A } }")]
    [InlineData("{ ...A } fragment A on T { ...B } fragment B on T { ... on T { ...A } }")]
    [InlineData("query { a } fragment A on T { b { ...A } }")]
    public void FragmentSpreadCycle_IsRefused(string document)
    {
        GraphQLVerdict verdict = GraphQLClassifier.ClassifyDocument(document);
        Assert.Equal(GraphQLRefusal.InvalidGraphQL, verdict.Refusal);
        Assert.Contains("spreads itself", verdict.Detail);
    }

    [Fact]
    public void ManySpreadsOfOneFragment_AreCheap()
    {
        // Ten levels, each spreading the next fragment twice: 2^10 paths, but each fragment is walked once.
        var document = new StringBuilder("{ ...F0 }\n");
        for (int i = 0; i < 10; i++)
        {
            document.Append("fragment F").Append(i).Append(" on T { x: a { ...F").Append(i + 1).Append(" } y: b { ...F").Append(i + 1).Append(" } }\n");
        }

        document.Append("fragment F10 on T { leaf }");
        AssertNeed(GraphQLNeed.Read, GraphQLClassifier.ClassifyDocument(document.ToString()));
    }

    [Theory]
    [InlineData(10_000, false)]
    [InlineData(10_001, true)]
    public void Tokens_AtTheLimitPass_OverAreRefused(int tokens, bool refused)
    {
        // "{" + n names + "}": n + 2 tokens, one per line so the line-length cap stays out of the way.
        string document = "{\n" + string.Concat(Enumerable.Repeat("a\n", tokens - 2)) + "}";
        AssertLimit(refused, "more than 10000 tokens", GraphQLClassifier.ClassifyDocument(document), GraphQLNeed.Read);
        AssertLimit(refused, "more than 10000 tokens", GraphQLClassifier.ClassifyGet(document), GraphQLNeed.Read);
        AssertLimit(refused, "more than 10000 tokens", Json(document), GraphQLNeed.Read);
    }

    [Fact]
    public void Tokens_CommentsCount()
    {
        string comments = string.Concat(Enumerable.Repeat("# a comment\n", 9_997));
        AssertNeed(GraphQLNeed.Read, GraphQLClassifier.ClassifyDocument(comments + "{ a }"));
        Assert.True(GraphQLClassifier.ClassifyDocument("#\n" + comments + "{ a }").IsRefused);
    }

    [Fact]
    public void Tokens_ABatchSharesOneBudget()
    {
        // 2,500 entries of "{ a b }" (4 tokens each) are exactly 10,000 tokens; one more entry is over.
        string entries = string.Join(",", Enumerable.Repeat("""{"query":"{ a b }"}""", 2_500));
        AssertNeed(GraphQLNeed.Read, RawJson("[" + entries + "]"));
        GraphQLVerdict over = RawJson("[" + entries + """,{"query":"{ a }"}]""");
        Assert.True(over.IsRefused);
        Assert.Contains("batch entry 2500", over.Detail);
    }

    [Theory]
    [InlineData(1_000, false)]
    [InlineData(1_001, true)]
    public void Aliases_AtTheLimitPass_OverAreRefused(int aliases, bool refused)
    {
        string document = "{\n" + string.Concat(Enumerable.Range(0, aliases).Select(i => $"a{i}: f\n")) + "}";
        AssertLimit(refused, "more than 1000 aliases", GraphQLClassifier.ClassifyDocument(document), GraphQLNeed.Read);
        AssertLimit(refused, "more than 1000 aliases", Json(document), GraphQLNeed.Read);
    }

    [Fact]
    public void Aliases_AreCountedWhereWritten_AndABatchSharesThem()
    {
        // 500 aliases in a fragment spread twice are 500 written aliases.
        string fragment = "fragment F on T {\n" + string.Concat(Enumerable.Range(0, 500).Select(i => $"a{i}: f\n")) + "}";
        AssertNeed(GraphQLNeed.Read, GraphQLClassifier.ClassifyDocument("{ x: a { ...F } y: b { ...F } }\n" + fragment));

        string half = System.Text.Json.JsonSerializer.Serialize("{\n" + string.Concat(Enumerable.Range(0, 500).Select(i => $"a{i}: f\n")) + "}");
        AssertNeed(GraphQLNeed.Read, RawJson($$"""[{"query":{{half}}},{"query":{{half}}}]"""));
        Assert.True(RawJson($$"""[{"query":{{half}}},{"query":{{half}}},{"query":"{ z: a }"}]""").IsRefused);
    }

    [Fact]
    public void CustomLimits_AreApplied()
    {
        var small = new GraphQLLimits(MaxDepth: 2, MaxTokens: 8, MaxAliases: 1);
        AssertNeed(GraphQLNeed.Read, GraphQLClassifier.ClassifyDocument("{ x: a { b } }", small));
        Assert.True(GraphQLClassifier.ClassifyDocument("{ a { b { c } } }", small).IsRefused);
        Assert.True(GraphQLClassifier.ClassifyDocument("{ a b c d e f g }", small).IsRefused);
        Assert.True(GraphQLClassifier.ClassifyDocument("{ x: a y: b }", small).IsRefused);
        Assert.True(GraphQLClassifier.ClassifyDocument("{ a }", small with { MaxAliases = 0 }) is { IsRefused: false });
    }

    [Fact]
    public void HostileBodyOverTheTokenLimit_IsRefusedCheaply()
    {
        // About 1 MiB of one-name lines: the whole parse took ~100 ms and 58 MB before the limit; now the lexing
        // stops at the limit. Measured in bytes allocated on this thread, which no load on the machine changes
        // (a time bound would pass the 100 ms regression too): the decoded query is ~1.4 MB, the parse before was 58 MB.
        string document = "{\n" + string.Concat(Enumerable.Repeat("a\n", 350_000)) + "}";
        byte[] body = Encoding.UTF8.GetBytes("{\"query\":" + System.Text.Json.JsonSerializer.Serialize(document) + "}");
        var before = GC.GetAllocatedBytesForCurrentThread();
        Assert.True(GraphQLClassifier.ClassifyJsonBody(body).IsRefused);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 8 << 20, $"{allocated >> 10} KiB allocated");
    }

    private static string Fields(int depth) => string.Concat(Enumerable.Repeat("{ a ", depth)) + new string('}', depth);

    private static GraphQLVerdict Json(string document) =>
        GraphQLClassifier.ClassifyJsonBody(Encoding.UTF8.GetBytes("{\"query\":" + System.Text.Json.JsonSerializer.Serialize(document) + "}"));

    private static GraphQLVerdict RawJson(string body) => GraphQLClassifier.ClassifyJsonBody(Encoding.UTF8.GetBytes(body));

    private static void AssertNeed(GraphQLNeed expected, GraphQLVerdict verdict)
    {
        Assert.False(verdict.IsRefused, verdict.Detail);
        Assert.Equal(expected, verdict.Need);
    }

    private static void AssertLimit(bool refused, string detail, GraphQLVerdict verdict, GraphQLNeed needWhenPassing)
    {
        if (refused)
        {
            Assert.Equal(GraphQLRefusal.InvalidGraphQL, verdict.Refusal);
            Assert.Contains(detail, verdict.Detail);
        }
        else
        {
            AssertNeed(needWhenPassing, verdict);
        }
    }
}
