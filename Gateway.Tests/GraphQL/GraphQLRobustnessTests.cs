using System.Text;
using Gateway.GraphQL;
using static Gateway.Tests.GraphQL.GraphQLJsonBodyTests;

namespace Gateway.Tests.GraphQL;

// Whatever arrives, the classifier answers; it never throws and never overflows the stack.
public class GraphQLRobustnessTests
{
    private const int Depth = 10_000;

    public static TheoryData<string> DeepDocuments => new()
    {
        Repeat("{a", Depth) + new string('}', Depth),
        "query " + Repeat("{a", Depth) + new string('}', Depth),
        "mutation " + Repeat("{a", Depth) + new string('}', Depth),
        "{ a(x: " + new string('[', Depth) + new string(']', Depth) + ") }",
        "{ a(x: " + Repeat("{b:", Depth) + "1" + new string('}', Depth) + ") }",
        "query($v: " + new string('[', Depth) + "Int" + new string(']', Depth) + ") { a }",
        "{ " + Repeat("... on T { ", Depth) + "a" + new string('}', Depth) + " }",
        new string('{', Depth),
        new string('[', Depth),
        "{ a(x: " + new string('[', Depth),
        Repeat("{a", 200) + new string('}', 200),
        Repeat("{a\n", Depth) + new string('}', Depth),
        Repeat("{a\r", Depth) + new string('}', Depth),
        "{ a(x: " + Repeat("[\n", Depth) + Repeat("]\n", Depth) + ") }",
        "{ a(x: " + Repeat("{b:\n", Depth) + "1" + Repeat("}\n", Depth) + ") }",
    };

    [Theory]
    [MemberData(nameof(DeepDocuments))]
    public void DeepDocument_Invalid_NoThrow(string document)
    {
        AssertInvalid(GraphQLClassifier.ClassifyDocument(document));
        AssertInvalid(GraphQLClassifier.ClassifyGet(document));
        AssertInvalid(GraphQLClassifier.ClassifyDocumentBody(Encoding.UTF8.GetBytes(document)));
        AssertInvalid(Json("{\"query\":" + System.Text.Json.JsonSerializer.Serialize(document) + "}"));
    }

    [Fact]
    public void DeepDocument_DetailSaysDepth()
    {
        // With the size limits lifted, so the parser's own depth limit is what answers (under the defaults the token
        // limit answers first); on short lines and on one long line alike.
        foreach (string document in new[] { Repeat("{a\n", Depth) + new string('}', Depth), Repeat("{a ", Depth) + new string('}', Depth) })
        {
            Assert.Contains("too deeply", GraphQLClassifier.ClassifyDocument(document, GraphQLLimitsTests.ParserOnly).Detail);
            Assert.True(GraphQLClassifier.ClassifyDocument(document).IsRefused);
        }
    }

    [Fact]
    public void ModeratelyNestedDocument_Classified()
    {
        // Real queries nest a dozen levels; 30 stays well inside the parser's limit (the field-depth limit, 20
        // by default, is lifted here: GraphQLLimitsTests covers it).
        string document = "mutation " + Repeat("{a", 30) + new string('}', 30);
        Assert.Equal(GraphQLNeed.ReadWrite, GraphQLClassifier.ClassifyDocument(document, GraphQLLimitsTests.ParserOnly).Need);
        Assert.False(GraphQLClassifier.ClassifyDocument(document, GraphQLLimitsTests.ParserOnly).IsRefused);
    }

    [Fact]
    public void HugeValues_OnShortLines_Classified()
    {
        string big = new('x', 1 << 20);
        string manyLines = string.Concat(Enumerable.Repeat(new string('y', 1000) + "\n", 1000));
        AssertNeed(GraphQLNeed.Read, GraphQLClassifier.ClassifyDocument("{ a(s: \"\"\"" + manyLines + "\"\"\") }"));
        AssertNeed(GraphQLNeed.Read, GraphQLClassifier.ClassifyDocument(manyLines.Replace("y", "#", StringComparison.Ordinal) + "{ a }"));
        AssertNeed(GraphQLNeed.Read, Json("{\"query\":\"{ a }\",\"variables\":{\"s\":\"" + big + "\"}}"));
        AssertNeed(GraphQLNeed.ReadWrite, Json("{\"query\":\"mutation($s: String) { a(s: $s) }\",\"variables\":{\"s\":\"" + big + "\"}}"));
    }

    [Fact]
    public void ManyOperations_Classified()
    {
        var document = new StringBuilder();
        for (int i = 0; i < 5_000; i++)
        {
            document.Append("query Q").Append(i).Append(" { a }\n");
        }

        // 30,000 tokens: the token limit (10,000 by default, GraphQLLimitsTests) is lifted here.
        Assert.Equal(GraphQLNeed.Read, GraphQLClassifier.ClassifyDocument(document.ToString(), GraphQLLimitsTests.ParserOnly).Need);
        document.Append("mutation M { b }");
        Assert.Equal(GraphQLNeed.ReadWrite, GraphQLClassifier.ClassifyDocument(document.ToString(), GraphQLLimitsTests.ParserOnly).Need);
    }

    [Fact]
    public void RandomBytes_NeverThrow()
    {
        var random = new Random(20240611);
        for (int i = 0; i < 4_000; i++)
        {
            byte[] buffer = new byte[random.Next(0, 512)];
            random.NextBytes(buffer);
            AssertAnswered(GraphQLClassifier.ClassifyJsonBody(buffer));
            AssertAnswered(GraphQLClassifier.ClassifyDocumentBody(buffer));
        }
    }

    [Fact]
    public void RandomTokenSoup_NeverThrow()
    {
        // Random sequences of JSON and GraphQL punctuation and words get much further into both
        // parsers than random bytes do.
        string[] tokens =
        [
            "{", "}", "[", "]", ":", ",", "\"", "\\", "\\u0071", "\\ud800", "query", "\"query\"", "mutation",
            "subscription", "fragment", "on", "...", "$v", "@d", "(", ")", "=", "!", "\"\"\"", "#", "\n",
            " ", "1", "-0.5e3", "null", "true", "\"variables\"", "\"extensions\"", "\"persistedQuery\"",
            "type", "schema", "extend", "\u00e9", "\uFEFF", "\0", "\t",
        ];
        var random = new Random(7);
        var text = new StringBuilder();
        for (int i = 0; i < 4_000; i++)
        {
            text.Clear();
            int count = random.Next(1, 60);
            for (int t = 0; t < count; t++)
            {
                text.Append(tokens[random.Next(tokens.Length)]);
            }

            string s = text.ToString();
            AssertAnswered(GraphQLClassifier.ClassifyDocument(s));
            AssertAnswered(GraphQLClassifier.ClassifyGet(s));
            AssertAnswered(Json(s));
        }
    }

    [Fact]
    public void MutatedValidBodies_NeverThrow()
    {
        byte[][] seeds =
        [
            """{"query":"query Q($id: ID!) { node(id: $id) { ... on T { a } } } mutation M { b }","operationName":"Q","variables":{"id":"1","l":[1,{"x":null}]},"extensions":{"persistedQuery":{"version":1}}}"""u8.ToArray(),
            """[{"query":"{ a }"},{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"ab"}}},{"query":"subscription { s }"}]"""u8.ToArray(),
        ];
        var random = new Random(42);
        for (int i = 0; i < 4_000; i++)
        {
            byte[] body = (byte[])seeds[i % seeds.Length].Clone();
            int edits = random.Next(1, 4);
            for (int e = 0; e < edits; e++)
            {
                body[random.Next(body.Length)] = (byte)random.Next(256);
            }

            AssertAnswered(GraphQLClassifier.ClassifyJsonBody(body));
            AssertAnswered(GraphQLClassifier.ClassifyJsonBody(body.AsSpan(0, random.Next(body.Length))));
        }
    }

    [Fact]
    public void Verdicts_AreConsistent()
    {
        // A refusal always has a detail and ReadWrite; a pass never has a detail.
        foreach (string body in new[] { "{}", "[]", """{"query":"{ a }"}""", """{"query":"mutation { a }"}""", "x" })
        {
            AssertAnswered(Json(body));
        }
    }

    private static void AssertAnswered(GraphQLVerdict verdict)
    {
        if (verdict.IsRefused)
        {
            Assert.False(string.IsNullOrEmpty(verdict.Detail));
            Assert.True(verdict.Detail!.Length <= 200, verdict.Detail);
            Assert.Equal(GraphQLNeed.ReadWrite, verdict.Need);
        }
        else
        {
            Assert.Null(verdict.Detail);
            Assert.True(verdict.Need is GraphQLNeed.Read or GraphQLNeed.ReadWrite);
        }
    }

    private static string Repeat(string s, int count) => new StringBuilder(s.Length * count).Insert(0, s, count).ToString();
}
