using System.Text;
using System.Text.Json;
using Gateway.GraphQL;
using static Gateway.Tests.GraphQL.GraphQLJsonBodyTests;

namespace Gateway.Tests.GraphQL;

/// <summary>
/// A valid document is never refused for its shape: lines of any length are classified like short ones (by the
/// linear lexer and a short-line copy, GraphQLLongLines), and a hostile long line is refused at a cost linear in its
/// length. The cost is checked by what the refusal allocates (deterministic), not by a clock; bench/HotPath's
/// HostileGraphQLBenchmarks times it.
/// </summary>
public class GraphQLLongLineTests
{
    private const int OneMiB = 1 << 20;

    // GraphQL-Parser's quadratic error path allocates about column² bytes: a 1 MiB line, about 1 TB. Anything linear
    // stays within a small multiple of the input (a 1 MiB document is 2 MiB of UTF-16).
    private const long LinearBytes = 24L << 20;

    public static TheoryData<int> Lengths => [GraphQLClassifier.MaxParserLineLength + 1, 20_000, OneMiB];

    [Theory]
    [MemberData(nameof(Lengths))]
    public void OneLineDocuments_OfAnyLength_AreClassified(int length)
    {
        AssertNeed(GraphQLNeed.Read, GraphQLClassifier.ClassifyDocument(Pad("query { me { id } }", length)));
        AssertNeed(GraphQLNeed.Read, GraphQLClassifier.ClassifyDocument(Pad("{ a(s: \"", length - 4) + "\") }"));
        AssertNeed(GraphQLNeed.Read, GraphQLClassifier.ClassifyDocument(Pad("{ a(s: \"\"\"", length - 6) + "\"\"\") }"));
        AssertNeed(GraphQLNeed.Read, GraphQLClassifier.ClassifyDocument(Pad("{ a } #", length)));
        AssertNeed(GraphQLNeed.Read, GraphQLClassifier.ClassifyDocument("{ a }\r\n{" + new string('x', length) + "}"));
        AssertNeed(GraphQLNeed.ReadWrite, GraphQLClassifier.ClassifyDocument(Pad("query { me { id } }", length) + "mutation { b }"));
        Assert.Equal(GraphQLRefusal.MethodNotAllowed, GraphQLClassifier.ClassifyGet(Pad("mutation { b }", length)).Refusal);
        AssertNeed(GraphQLNeed.ReadWrite, Json(JsonSerializer.Serialize(new { query = Pad("mutation { b }", length) })));
        AssertNeed(GraphQLNeed.ReadWrite, GraphQLClassifier.ClassifyDocumentBody(Encoding.UTF8.GetBytes(Pad("mutation { b }", length))));
    }

    [Fact]
    public void MinifiedQuery_Of20KB_IsClassified()
    {
        string query = MinifiedQuery(20_000);
        Assert.DoesNotContain('\n', query);
        AssertNeed(GraphQLNeed.Read, GraphQLClassifier.ClassifyDocument(query));
        AssertNeed(GraphQLNeed.ReadWrite, GraphQLClassifier.ClassifyDocument(query + " mutation M{b}"));
        AssertNeed(GraphQLNeed.Read, Json(JsonSerializer.Serialize(new { query })));
    }

    [Fact]
    public void LongLines_MeetTheSizeLimits_AsShortOnesDo()
    {
        // Depth counted through fragments, aliases and tokens: the limits do not depend on how the lines fall.
        string deep = "{" + string.Concat(Enumerable.Repeat("a{", 21)) + "b" + new string('}', 22);
        string aliases = "{" + string.Join(" ", Enumerable.Range(0, 1001).Select(i => $"a{i}:f")) + "}";
        string tokens = "{" + string.Join(" ", Enumerable.Repeat("f", 10_000)) + "}";
        foreach (string document in new[] { deep, aliases, tokens })
        {
            Assert.True(GraphQLClassifier.ClassifyDocument(document + "\n").IsRefused);
            var verdict = AssertInvalid(GraphQLClassifier.ClassifyDocument(Pad(document, OneMiB)));
            Assert.DoesNotContain("parse", verdict.Detail);
        }
    }

    public static TheoryData<string> TokenCases =>
    [
        "{ a(s: \"\\u00e9 \\\" \\\\ \\/ \\b \\f \\n \\r \\t\") }", "{ a(s: \"\\q\") }", "{ a(s: \"\\u12G4\") }", "{ a(s: \"\\u12\") }",
        "{ a(s: \"\\u{1F600}\") }", "{ a(s: \"\"\" \\\"\"\" \\\\\"\"\" \"\"\") }", "{ a(s: \"\"\"x\"\"\"\") }", "{ a(s: \"\") }",
        "{ a(s: \"x\ty\") }", "{ a(s: \"x\u0001y\") }", "{ a(s: \"\"\"x\u0001\"\"\") }", "{ a } # x\u0001",
        "{ a(x: 0) }", "{ a(x: -0) }", "{ a(x: 01) }", "{ a(x: 1.) }", "{ a(x: .5) }", "{ a(x: 1e) }", "{ a(x: 1e+) }",
        "{ a(x: 0.5e-3) }", "{ a(x: 1E9) }", "{ a(x: 1a) }", "{ a(x: 1.5.2) }", "{ a(x: -) }", "{ a(x: 1_0) }",
        "{ ... on T { a } }", "{ .. a }", "{ a(x: $v) }", "query($v: [Int!]! = [1, 2]) @d(x: {y: true}) { a }",
        "{ a }\uFEFF", "{ a\u00e9 }", "{ a(s: \"x", "{ a(s: \"\"\"x", "{ a(s: \"x\ny\") }", "{ a(s: \"x\ry\") }",
        "type T { a: Int }", "# only a comment", "", "{ a ", "{ a } }", "fragment F on T { a } { ...F }", "{ a\0 }",
    ];

    [Theory]
    [MemberData(nameof(TokenCases))]
    public void OnALongLine_ADocument_IsJudgedAsOnAShortOne(string document)
    {
        // The same document with its last line padded past the parser's line length: the linear lexer and the copy
        // must come to the same verdict as GraphQL-Parser on the document as written.
        GraphQLVerdict expected = GraphQLClassifier.ClassifyDocument(document);
        GraphQLVerdict padded = GraphQLClassifier.ClassifyDocument(Pad(document, GraphQLClassifier.MaxParserLineLength + 10));
        Assert.True(expected.IsRefused == padded.IsRefused, $"short: {expected}; long: {padded}");
        Assert.Equal(expected.Need, padded.Need);
    }

    public static TheoryData<string, string> HostileLines => new()
    {
        { "{ a(s: \"", "" },
        { "{ a(s: \"\"\"", "" },
        { "{ a ", "!" },
        { "{\r a(s: \"", "!" },
        { "{ a(s: \"", "\") } !" },
        { "{ ", " !" },
        { "{ a(x: 1", "" },
        { "{ a(x: 1", "a" },
        { "query Q", ")" },
        { "{ a }\n{ ", "" },
    };

    [Theory]
    [MemberData(nameof(HostileLines))]
    public void HostileLongLines_AreRefused_AtALinearCost(string prefix, string suffix)
    {
        foreach (char filler in "x \u00e9")
        {
            string document = prefix + new string(filler, OneMiB) + suffix;
            long before = GC.GetAllocatedBytesForCurrentThread();
            GraphQLVerdict verdict = GraphQLClassifier.ClassifyDocument(document);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            AssertInvalid(verdict);
            Assert.True(allocated < LinearBytes, $"{allocated:N0} bytes allocated to refuse {prefix}...{suffix} ({verdict.Detail})");
            Assert.True(verdict.Detail!.Length <= 200, verdict.Detail);
        }
    }

    [Fact]
    public void BadLine_AtTheParsersLineLength_IsCheap()
    {
        // The longest line GraphQL-Parser is given, with an error at its end: the most its error path can cost.
        string document = "{ a(s: \"" + new string('x', GraphQLClassifier.MaxParserLineLength - 10);
        long before = GC.GetAllocatedBytesForCurrentThread();
        AssertInvalid(GraphQLClassifier.ClassifyDocument(document));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < LinearBytes, $"{allocated:N0} bytes");
    }

    [Theory]
    [InlineData("{ a } ", "!", "1:{0}")]
    [InlineData("{ a }\n{ b ", "!", "2:{0}")]
    [InlineData("{ a }\r\n{ b(s: \"", "\\q\") }", "2:{0}")]
    public void Refusal_SaysWhereInTheDocumentAsWritten(string prefix, string suffix, string where)
    {
        // Positions are the document's, not the copy's: the error sits right after the padding.
        string document = prefix + new string(' ', OneMiB) + suffix;
        int lineStart = prefix.LastIndexOf('\n') + 1;
        int column = prefix.Length - lineStart + OneMiB + 1;
        if (suffix.StartsWith('\\'))
        {
            // The string holds the padding; the bad escape is where the lexer stops.
            column = document.IndexOf("\\q", StringComparison.Ordinal) - lineStart + 1;
        }

        GraphQLVerdict verdict = AssertInvalid(GraphQLClassifier.ClassifyDocument(document));
        Assert.Contains($" at {string.Format(System.Globalization.CultureInfo.InvariantCulture, where, column)}:", verdict.Detail);
    }

    [Fact]
    public void LongNames_KeepTheirFragments()
    {
        // Names past GraphQLLongLines.MaxCopiedName are stand-ins in the copy; spreads still find their fragment, so
        // depth counts through them and a fragment that spreads itself is still caught.
        string name = "F" + new string('x', 10_000);
        string other = "F" + new string('x', 9_999) + "y";
        // x, then 18 levels and b in the fragment: 20 fields deep, the limit; one more level is over it.
        string nested = string.Concat(Enumerable.Repeat("a{", 18)) + "b" + new string('}', 18);
        AssertNeed(GraphQLNeed.Read, GraphQLClassifier.ClassifyDocument($"{{ x {{ ...{name} }} }} fragment {name} on T {{ {nested} }} fragment {other} on T {{ c }}"));
        AssertInvalid(GraphQLClassifier.ClassifyDocument($"{{ x {{ y {{ ...{name} }} }} }} fragment {name} on T {{ {nested} }}"));
        Assert.Contains("spreads itself", AssertInvalid(GraphQLClassifier.ClassifyDocument($"{{ ...{name} }} fragment {name} on T {{ ...{name} }}")).Detail);
    }

    /// <summary>A realistic query written without a line break or a blank to spare, of about <paramref name="size"/> characters.</summary>
    internal static string MinifiedQuery(int size)
    {
        var text = new StringBuilder("query Big($id:String!,$first:Int=20,$tags:[String!]=[\"a\",\"b\"]){");
        for (int i = 0; text.Length < size - 200; i++)
        {
            text.Append($"e{i}:endpoints(first:$first,filter:{{id:$id,n:{i},f:{i}.5e-1,s:\"x\\\"{i}\\u00e9\"}}){{...EndpointFields template{{id name env{{key value}}}}}}");
        }

        return text.Append("}fragment EndpointFields on Endpoint{id name gpuIds workersMin workersMax pods{id runtime{uptimeInSeconds}}}").ToString();
    }

    private static string Pad(string document, int length) => document + new string(' ', Math.Max(0, length - document.Length));
}
