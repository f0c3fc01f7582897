using System.Text;
using Gateway.GraphQL;
using static Gateway.Tests.GraphQL.GraphQLJsonBodyTests;

namespace Gateway.Tests.GraphQL;

// ClassifyJsonBody: JSON that a lenient parser would accept and the gateway must not.
public class GraphQLJsonStrictnessTests
{
    [Theory]
    // Top level: two parsers may keep different ones, so the gateway judges neither.
    [InlineData("""{"query":"{ a }","query":"mutation { b }"}""")]
    [InlineData("""{"query":"mutation { b }","query":"{ a }"}""")]
    [InlineData("""{"query":"{ a }","query":"{ a }"}""")]
    [InlineData("""{"query":"{ a }","query":null}""")]
    [InlineData("""{"query":"{ a }","operationName":"A","operationName":"B"}""")]
    [InlineData("""{"query":"{ a }","variables":{},"variables":{}}""")]
    [InlineData("""{"query":"{ a }","extensions":null,"extensions":{}}""")]
    // Escaped names are compared after unescaping.
    [InlineData("""{"query":"{ a }","\u0071uery":"mutation { b }"}""")]
    [InlineData("""{"\u0071\u0075\u0065\u0072\u0079":"{ a }","query":"mutation { b }"}""")]
    [InlineData("""{"query":"{ a }","\u0071uery":"{ a }"}""")]
    // Nested in variables.
    [InlineData("""{"query":"{ a }","variables":{"a":1,"a":2}}""")]
    [InlineData("""{"query":"{ a }","variables":{"a":1,"b":2,"a":3}}""")]
    [InlineData("""{"query":"{ a }","variables":{"input":{"id":1,"id":2}}}""")]
    [InlineData("""{"query":"{ a }","variables":{"list":[{"x":1},{"y":1,"y":2}]}}""")]
    [InlineData("""{"query":"{ a }","variables":{"list":[[[{"z":{"k":1,"k":1}}]]]}}""")]
    [InlineData("""{"query":"{ a }","variables":{"\u00e9":1,"é":2}}""")]
    [InlineData("""{"query":"{ a }","variables":{"a\/b":1,"a/b":2}}""")]
    [InlineData("""{"query":"{ a }","variables":{"":1,"":2}}""")]
    [InlineData("""{"query":"{ a }","variables":{"😀":1,"\ud83d\ude00":2}}""")]
    // Nested in extensions.
    [InlineData("""{"query":"{ a }","extensions":{"x":1,"x":1}}""")]
    [InlineData("""{"extensions":{"persistedQuery":{"version":1},"persistedQuery":{"version":1}}}""")]
    [InlineData("""{"extensions":{"persistedQuery":{"sha256Hash":"a","sha256Hash":"b"}}}""")]
    [InlineData("""{"extensions":{"persistedQuery":{"version":1},"\u0070ersistedQuery":null}}""")]
    // In a batch element.
    [InlineData("""[{"query":"{ a }"},{"query":"{ a }","query":"mutation { b }"}]""")]
    [InlineData("""[{"query":"{ a }"},{"query":"{ a }","variables":{"a":1,"a":1}}]""")]
    public void DuplicateMemberNames_Invalid(string body)
    {
        Assert.Contains("duplicate", AssertInvalid(Json(body)).Detail);
    }

    [Theory]
    // Same name in sibling or nested objects is not a duplicate.
    [InlineData("""{"query":"{ a }","variables":{"a":{"a":{"a":1}},"b":{"a":1}}}""")]
    [InlineData("""{"query":"{ a }","variables":{"l":[{"a":1},{"a":1},{"a":{"a":1}}]}}""")]
    [InlineData("""{"query":"{ a }","variables":{"query":"x","variables":{}},"extensions":{"query":1,"extensions":{}}}""")]
    [InlineData("""{"query":"{ a }","variables":{"a":1,"A":2,"a ":3," a":4}}""")]
    [InlineData("""[{"query":"{ a }","variables":{"a":1}},{"query":"{ a }","variables":{"a":1}}]""")]
    [InlineData("""{"query":"{ a }","variables":{"\u00e9":1,"e\u0301":2}}""")]
    public void SameNameInDifferentObjects_Allowed(string body)
    {
        AssertNeed(GraphQLNeed.Read, Json(body));
    }

    [Fact]
    public void LargeObject_NoDuplicates_Allowed()
    {
        string members = string.Join(',', Enumerable.Range(0, 20_000).Select(i => $"\"k{i}\":{i}"));
        AssertNeed(GraphQLNeed.Read, Json(WithVariables("{" + members + "}")));
    }

    [Theory]
    [InlineData(9, 0, 8)]
    [InlineData(100, 3, 97)]
    [InlineData(20_000, 0, 19_999)]
    [InlineData(20_000, 12_345, 12_346)]
    public void LargeObject_OneDuplicate_Invalid(int count, int first, int second)
    {
        IEnumerable<string> names = Enumerable.Range(0, count).Select(i => i == second ? $"k{first}" : $"k{i}");
        string members = string.Join(',', names.Select(n => $"\"{n}\":0"));
        AssertInvalid(Json(WithVariables("{" + members + "}")));
    }

    [Fact]
    public void LargeObject_EscapedDuplicate_Invalid()
    {
        string members = string.Join(',', Enumerable.Range(0, 50).Select(i => $"\"k{i}\":0"));
        AssertInvalid(Json(WithVariables("{" + members + ""","\u006b7":1}""")));
    }

    [Fact]
    public void LongMemberNames_Handled()
    {
        string a = new('a', 100_000);
        AssertNeed(GraphQLNeed.Read, Json(WithVariables("{\"" + a + "\":1,\"" + a + "b\":2}")));
        AssertInvalid(Json(WithVariables("{\"" + a + "\":1,\"" + a + "\":2}")));
    }

    [Fact]
    public void Bom_IsSkipped()
    {
        byte[] body = [0xEF, 0xBB, 0xBF, .. """{"query":"mutation { a }"}"""u8];
        AssertNeed(GraphQLNeed.ReadWrite, GraphQLClassifier.ClassifyJsonBody(body));
    }

    [Fact]
    public void TwoBoms_Invalid()
    {
        byte[] body = [0xEF, 0xBB, 0xBF, 0xEF, 0xBB, 0xBF, .. """{"query":"{ a }"}"""u8];
        AssertInvalid(GraphQLClassifier.ClassifyJsonBody(body));
    }

    [Theory]
    [InlineData(new byte[] { 0xFF })]
    [InlineData(new byte[] { 0xC3 })]
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 })]
    [InlineData(new byte[] { 0xC0, 0xAF })]
    [InlineData(new byte[] { 0xF4, 0x90, 0x80, 0x80 })]
    [InlineData(new byte[] { 0xFE, 0xFF })]
    public void InvalidUtf8_Invalid(byte[] bad)
    {
        // In the query string, in a variable name and value, and after the value.
        string[] templates =
        [
            """{"query":"{ a(x: \"#\") }"}""",
            """{"query":"{ a }","variables":{"#":1}}""",
            """{"query":"{ a }","variables":{"a":"#"}}""",
            """{"query":"{ a }","operationName":"#"}""",
        ];
        foreach (string template in templates)
        {
            byte[] body = Splice(template, bad);
            Assert.Contains("UTF-8", AssertInvalid(GraphQLClassifier.ClassifyJsonBody(body)).Detail);
        }
    }

    [Theory]
    [InlineData("""{"query":"{ a }"} x""")]
    [InlineData("""{"query":"{ a }"}{"query":"mutation { b }"}""")]
    [InlineData("""{"query":"{ a }"} {}""")]
    [InlineData("""[{"query":"{ a }"}] []""")]
    [InlineData("""{"query":"{ a }"}}""")]
    [InlineData("""{"query":"{ a }"}]""")]
    [InlineData("""{"query":"{ a }"},""")]
    [InlineData("{\"query\":\"{ a }\"}\0")]
    [InlineData("""{"query":"{ a }"} // trailing""")]
    [InlineData("""{"query":"{ a }"} 1""")]
    public void TrailingData_Invalid(string body)
    {
        AssertInvalid(Json(body));
    }

    [Theory]
    [InlineData("""{"query":"{ a }" /* c */}""")]
    [InlineData("""{"query":"{ a }" // c""" + "\n}")]
    [InlineData("""/* c */ {"query":"{ a }"}""")]
    [InlineData("""{"query":"{ a }",}""")]
    [InlineData("""[{"query":"{ a }"},]""")]
    [InlineData("""{"query":"{ a }","variables":{"a":1,}}""")]
    [InlineData("""{"query":"{ a }","variables":{"a":[1,]}}""")]
    [InlineData("""{'query':'{ a }'}""")]
    [InlineData("""{query:"{ a }"}""")]
    [InlineData("""{"query":"{ a }","variables":{"a":NaN}}""")]
    [InlineData("""{"query":"{ a }","variables":{"a":01}}""")]
    [InlineData("""{"query":"{ a }","variables":{"a":undefined}}""")]
    [InlineData("""{"query":"{ a }\u"}""")]
    [InlineData("""{"query":"{ a }\x41"}""")]
    [InlineData("{\"query\":\"{ a }\n\"}")]
    [InlineData("""{"query" "{ a }"}""")]
    [InlineData("""{"query":"{ a }" "variables":{}}""")]
    [InlineData("""{"query":"{ a }""")]
    [InlineData("""{"query":""")]
    [InlineData("""[{"query":"{ a }"}""")]
    [InlineData("{")]
    [InlineData("[")]
    [InlineData("")]
    [InlineData("   ")]
    public void MalformedJson_Invalid(string body)
    {
        AssertInvalid(Json(body));
    }

    [Theory]
    [InlineData("""{"query":"{ a(x: \"\ud800\") }"}""")]
    [InlineData("""{"query":"{ a }","variables":{"\udc00":1}}""")]
    [InlineData("""{"\ud800uery":"{ a }"}""")]
    public void LoneSurrogateEscape_WhereDecoded_Invalid(string body)
    {
        AssertInvalid(Json(body));
    }

    [Fact]
    public void Depth_WithinLimit_Allowed()
    {
        // variables object at depth 2; 60 more levels stays under the reader's 64.
        string nested = new string('[', 60) + new string(']', 60);
        AssertNeed(GraphQLNeed.Read, Json(WithVariables("{\"a\":" + nested + "}")));
    }

    [Theory]
    [InlineData(10_000)]
    [InlineData(65)]
    [InlineData(2)]
    public void Depth_TopLevelArrays_Invalid(int depth)
    {
        // Refused at the first inner '[' (a batch entry must be an object), before any depth.
        AssertInvalid(Json(new string('[', depth) + new string(']', depth)));
    }

    [Theory]
    [InlineData(10_000)]
    [InlineData(63)]
    public void Depth_InExtensions_DetailSaysDepth(int depth)
    {
        string body = """{"query":"{ a }","extensions":{"a":""" + new string('[', depth) + new string(']', depth) + "}}";
        Assert.Contains("nests deeper than 64", AssertInvalid(Json(body)).Detail);
    }

    [Theory]
    [InlineData(10_000)]
    [InlineData(70)]
    public void Depth_InVariables_Invalid(int depth)
    {
        var objects = new StringBuilder();
        for (int i = 0; i < depth; i++)
        {
            objects.Append("{\"a\":");
        }

        objects.Append('1').Append('}', depth);
        AssertInvalid(Json(WithVariables(objects.ToString())));
    }

    [Fact]
    public void Depth_UnclosedNesting_Invalid()
    {
        AssertInvalid(Json("""{"query":"{ a }","extensions":""" + new string('[', 100_000)));
    }

    private static string WithVariables(string variables) => """{"query":"{ a }","variables":""" + variables + "}";

    private static byte[] Splice(string template, byte[] bad)
    {
        int at = template.IndexOf('#');
        return [.. Encoding.UTF8.GetBytes(template[..at]), .. bad, .. Encoding.UTF8.GetBytes(template[(at + 1)..])];
    }
}
