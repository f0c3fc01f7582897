using System.Text;
using Gateway.GraphQL;

namespace Gateway.Tests.GraphQL;

// ClassifyJsonBody: request objects, batches, persisted queries and member rules.
public class GraphQLJsonBodyTests
{
    internal static GraphQLVerdict Json(string body) => GraphQLClassifier.ClassifyJsonBody(Encoding.UTF8.GetBytes(body));

    internal static void AssertNeed(GraphQLNeed expected, GraphQLVerdict verdict)
    {
        Assert.False(verdict.IsRefused, verdict.Detail);
        Assert.Equal(expected, verdict.Need);
    }

    internal static GraphQLVerdict AssertInvalid(GraphQLVerdict verdict)
    {
        Assert.Equal(GraphQLRefusal.InvalidGraphQL, verdict.Refusal);
        Assert.False(string.IsNullOrEmpty(verdict.Detail));
        Assert.Equal(GraphQLNeed.ReadWrite, verdict.Need);
        return verdict;
    }

    [Theory]
    [InlineData("""{"query":"{ a }"}""")]
    [InlineData("""{"query":"query Q { a }"}""")]
    [InlineData("""{"query":"subscription { a }"}""")]
    [InlineData("""{"query":"query Q($id: ID) { a(id: $id) }","operationName":"Q","variables":{"id":"1"}}""")]
    [InlineData("""{"query":"{ a }","operationName":null,"variables":null,"extensions":null}""")]
    [InlineData("""{"operationName":"Q","query":"query Q { a }"}""")]
    [InlineData("""{"query":"{ a }","variables":{},"extensions":{}}""")]
    [InlineData("""{"query":"# mutation\nquery{a}"}""")]
    [InlineData("""{"query":"query { a(x: \"mutation { b }\") }"}""")]
    [InlineData("""{"query":"query { a(x: \"\"\"\nmutation { b }\n\"\"\") }"}""")]
    [InlineData("""{"query":"{ a }","variables":{"mutation":"mutation { b }"}}""")]
    [InlineData("""{"query":"{ a }","extensions":{"query":"mutation { b }"}}""")]
    [InlineData(""" { "query" : "{ a }" } """)]
    [InlineData("\r\n\t{\"query\":\"{ a }\"}\r\n\t")]
    public void Read(string body)
    {
        AssertNeed(GraphQLNeed.Read, Json(body));
    }

    [Theory]
    [InlineData("""{"query":"mutation { a }"}""")]
    [InlineData("""{"query":"\u006dutation { x }"}""")]
    [InlineData("""{"query":"\u006D\u0075\u0074\u0061\u0074\u0069\u006F\u006E { x }"}""")]
    [InlineData("""{"\u0071uery":"mutation { x }"}""")]
    [InlineData("""{"query":"query Q { a } mutation M { b }","operationName":"Q"}""")]
    [InlineData("""{"query":"mutation M { b } query Q { a }","operationName":"Q"}""")]
    [InlineData("""{"query":"query Q { a }\nmutation M { b }","operationName":null}""")]
    [InlineData("""{"query":"# query\nmutation { a }"}""")]
    [InlineData("""{"query":"mutation\t{ a }"}""")]
    [InlineData("""{"query":"mutation\u0009{ a }"}""")]
    public void ReadWrite(string body)
    {
        AssertNeed(GraphQLNeed.ReadWrite, Json(body));
    }

    [Theory]
    [InlineData("""[{"query":"{ a }"}]""", GraphQLNeed.Read)]
    [InlineData("""[{"query":"{ a }"},{"query":"query { b }"},{"query":"subscription { c }"}]""", GraphQLNeed.Read)]
    [InlineData("""[{"query":"mutation { a }"}]""", GraphQLNeed.ReadWrite)]
    [InlineData("""[{"query":"{ a }"},{"query":"mutation { b }"}]""", GraphQLNeed.ReadWrite)]
    [InlineData("""[{"query":"mutation { a }"},{"query":"{ b }"}]""", GraphQLNeed.ReadWrite)]
    [InlineData("""[{"query":"{ a }","operationName":null},{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"ab"}}}]""", GraphQLNeed.ReadWrite)]
    public void Batch(string body, GraphQLNeed need)
    {
        AssertNeed(need, Json(body));
    }

    [Fact]
    public void Batch_OneMutationDeepInTheBatch_ReadWrite()
    {
        var body = new StringBuilder("[");
        for (int i = 0; i < 500; i++)
        {
            body.Append($$"""{"query":"query Q{{i}} { a{{i}} }","operationName":"Q{{i}}"},""");
        }

        body.Append("""{"query":"query Q { a } mutation M { b }","operationName":"Q"}""");
        for (int i = 0; i < 10; i++)
        {
            body.Append(""",{"query":"{ z }"}""");
        }

        body.Append(']');
        AssertNeed(GraphQLNeed.ReadWrite, Json(body.ToString()));
    }

    [Fact]
    public void Batch_ManyReads_Read()
    {
        string body = "[" + string.Join(',', Enumerable.Repeat("""{"query":"{ a }"}""", 1000)) + "]";
        AssertNeed(GraphQLNeed.Read, Json(body));
    }

    [Theory]
    [InlineData("[]")]
    [InlineData(" [ ] ")]
    public void Batch_Empty_Invalid(string body)
    {
        Assert.Contains("empty", AssertInvalid(Json(body)).Detail);
    }

    [Theory]
    [InlineData("""[{"query":"{ a }"}, "mutation { b }"]""")]
    [InlineData("""[{"query":"{ a }"}, null]""")]
    [InlineData("""[[{"query":"{ a }"}]]""")]
    [InlineData("""[{"query":"{ a }"}, 1]""")]
    [InlineData("""[{"query":"{ a }"},{"query":"{ a }","Query":"mutation { b }"}]""")]
    [InlineData("""[{"query":"{ a }"},{"query":"{ a }","query":"{ a }"}]""")]
    [InlineData("""[{"query":"{ a }"},{"query":"type T { a: Int }"}]""")]
    [InlineData("""[{"query":"{ a }"},{}]""")]
    [InlineData("""[{"query":"{ a }"},]""")]
    public void Batch_BadEntry_Invalid(string body)
    {
        AssertInvalid(Json(body));
    }

    [Fact]
    public void Batch_BadEntry_DetailNamesTheEntry()
    {
        Assert.StartsWith("batch entry 1:", AssertInvalid(Json("""[{"query":"{ a }"},{"query":"{"}]""")).Detail);
    }

    [Theory]
    [InlineData("""{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"ecf4edb46db40b5132295c0291d62fb65d6759a9eedfa4d5d612dd5ec54a6b38"}}}""")]
    [InlineData("""{"query":null,"extensions":{"persistedQuery":{}}}""")]
    [InlineData("""{"operationName":"Q","variables":{"a":1},"extensions":{"persistedQuery":{"version":1}}}""")]
    [InlineData("""{"extensions":{"other":{"x":1},"persistedQuery":{"version":1}}}""")]
    [InlineData("""{"extensions":{"\u0070ersistedQuery":{"version":1}}}""")]
    public void PersistedQueryOnly_ReadWrite(string body)
    {
        AssertNeed(GraphQLNeed.ReadWrite, Json(body));
    }

    [Theory]
    [InlineData("""{"query":"{ a }","extensions":{"persistedQuery":{"version":1,"sha256Hash":"ab"}}}""", GraphQLNeed.Read)]
    [InlineData("""{"query":"mutation { a }","extensions":{"persistedQuery":{"version":1,"sha256Hash":"ab"}}}""", GraphQLNeed.ReadWrite)]
    public void QueryAndPersistedQuery_QueryIsJudged(string body, GraphQLNeed need)
    {
        AssertNeed(need, Json(body));
    }

    [Fact]
    public void QueryAndPersistedQuery_BadQuery_Invalid()
    {
        AssertInvalid(Json("""{"query":"{","extensions":{"persistedQuery":{"version":1}}}"""));
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("""{"query":null}""")]
    [InlineData("""{"query":null,"extensions":null}""")]
    [InlineData("""{"operationName":"Q"}""")]
    [InlineData("""{"variables":{"a":1}}""")]
    [InlineData("""{"extensions":{}}""")]
    [InlineData("""{"extensions":{"persistedQuery":null}}""")]
    [InlineData("""{"extensions":{"persistedQuery":"abc"}}""")]
    [InlineData("""{"extensions":{"persistedQuery":[{"version":1}]}}""")]
    [InlineData("""{"extensions":{"PersistedQuery":{"version":1}}}""")]
    [InlineData("""{"extensions":{"nested":{"persistedQuery":{"version":1}}}}""")]
    [InlineData("""{"variables":{"persistedQuery":{"version":1}}}""")]
    public void NoQueryAndNoPersistedQuery_Invalid(string body)
    {
        Assert.Contains("no query and no persisted query", AssertInvalid(Json(body)).Detail);
    }

    [Theory]
    [InlineData("""{"query":""}""")]
    [InlineData("""{"query":"   "}""")]
    [InlineData("""{"query":"{"}""")]
    [InlineData("""{"query":"type Query { a: Int }"}""")]
    [InlineData("""{"query":"fragment F on T { a }"}""")]
    public void BadDocument_Invalid(string body)
    {
        AssertInvalid(Json(body));
    }

    [Theory]
    [InlineData("""{"Query":"{ a }"}""")]
    [InlineData("""{"QUERY":"{ a }"}""")]
    [InlineData("""{"query":"{ a }","Query":"mutation { b }"}""")]
    [InlineData("""{"query":"{ a }","OperationName":"Q"}""")]
    [InlineData("""{"query":"{ a }","Variables":{}}""")]
    [InlineData("""{"query":"{ a }","extension":{}}""")]
    [InlineData("""{"query":"{ a }","mutation":"mutation { b }"}""")]
    [InlineData("""{"query":"{ a }","id":"abc"}""")]
    [InlineData("""{"query":"{ a }","documentId":"abc"}""")]
    [InlineData("""{"query":"{ a }","":1}""")]
    [InlineData("""{"query ":"{ a }"}""")]
    [InlineData("""{"query\u0000":"{ a }"}""")]
    public void UnknownMember_Invalid(string body)
    {
        Assert.Contains("is not allowed", AssertInvalid(Json(body)).Detail);
    }

    [Fact]
    public void UnknownMember_LongName_EchoIsCut()
    {
        string name = new('n', 5000);
        string detail = AssertInvalid(Json($$"""{"{{name}}":1}""")).Detail!;
        Assert.True(detail.Length < 120, detail);
    }

    [Theory]
    [InlineData("""{"query":1}""")]
    [InlineData("""{"query":1.5}""")]
    [InlineData("""{"query":true}""")]
    [InlineData("""{"query":{"a":1}}""")]
    [InlineData("""{"query":["{ a }"]}""")]
    [InlineData("""{"query":"{ a }","operationName":1}""")]
    [InlineData("""{"query":"{ a }","operationName":{}}""")]
    [InlineData("""{"query":"{ a }","operationName":["Q"]}""")]
    [InlineData("""{"query":"{ a }","variables":"{\"a\":1}"}""")]
    [InlineData("""{"query":"{ a }","variables":[]}""")]
    [InlineData("""{"query":"{ a }","variables":1}""")]
    [InlineData("""{"query":"{ a }","extensions":"x"}""")]
    [InlineData("""{"query":"{ a }","extensions":[]}""")]
    [InlineData("""{"query":"{ a }","extensions":false}""")]
    public void WrongMemberType_Invalid(string body)
    {
        Assert.Contains("must be", AssertInvalid(Json(body)).Detail);
    }

    [Theory]
    [InlineData("\"{ a }\"")]
    [InlineData("null")]
    [InlineData("1")]
    [InlineData("true")]
    public void TopLevelNotObjectOrArray_Invalid(string body)
    {
        AssertInvalid(Json(body));
    }
}

public class GraphQLJsonAllocationTests
{
    [Fact]
    public void PersistedQueryWithVariables_DoesNotAllocate()
    {
        // Names are tracked in pooled buffers, so a body that needs no GraphQL parse costs no
        // garbage; only the query string and the parser's AST allocate.
        byte[] body = """{"operationName":"Q","variables":{"id":"1","input":{"a":[1,2,{"b":null}],"c":"d"}},"extensions":{"persistedQuery":{"version":1,"sha256Hash":"ecf4edb46db40b5132295c0291d62fb65d6759a9eedfa4d5d612dd5ec54a6b38"}}}"""u8.ToArray();
        for (int i = 0; i < 20; i++)
        {
            GraphQLClassifier.ClassifyJsonBody(body);
        }

        // No Assert inside the measured loop: xunit's comparers allocate.
        bool allReadWrite = true;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            allReadWrite &= GraphQLClassifier.ClassifyJsonBody(body).Need == GraphQLNeed.ReadWrite;
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allReadWrite);
        Assert.Equal(0, allocated);
    }
}
