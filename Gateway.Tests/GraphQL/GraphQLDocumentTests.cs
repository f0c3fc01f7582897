using System.Text;
using Gateway.GraphQL;

namespace Gateway.Tests.GraphQL;

// ClassifyDocument, ClassifyGet and ClassifyDocumentBody: the GraphQL side of the classifier.
public class GraphQLDocumentTests
{
    private static void AssertNeed(GraphQLNeed expected, GraphQLVerdict verdict)
    {
        Assert.False(verdict.IsRefused, verdict.Detail);
        Assert.Null(verdict.Detail);
        Assert.Equal(expected, verdict.Need);
    }

    private static void AssertInvalid(GraphQLVerdict verdict)
    {
        Assert.Equal(GraphQLRefusal.InvalidGraphQL, verdict.Refusal);
        Assert.True(verdict.IsRefused);
        Assert.False(string.IsNullOrEmpty(verdict.Detail));
        Assert.Equal(GraphQLNeed.ReadWrite, verdict.Need);
    }

    [Theory]
    [InlineData("{ a }")]
    [InlineData("{a}")]
    [InlineData("query { a }")]
    [InlineData("query Q { a }")]
    [InlineData("query Q($id: ID!) { node(id: $id) { id } }")]
    [InlineData("subscription { onEvent { id } }")]
    [InlineData("subscription S { e }")]
    [InlineData("query A { a } query B { b }")]
    [InlineData("query A { a } subscription B { b }")]
    [InlineData("{ mutation }")]
    [InlineData("{ mutation: a }")]
    [InlineData("query mutation { a }")]
    [InlineData("query Q { a(mutation: true) }")]
    [InlineData("query Q { a(x: mutation) }")]
    [InlineData("query Q @mutation { a }")]
    [InlineData("query { a(x: \"mutation { b }\") }")]
    [InlineData("query { a(x: \"\"\"mutation { b }\"\"\") }")]
    [InlineData("query { a(x: \"\"\"\n  mutation {\n    b\n  }\n\"\"\") }")]
    [InlineData("query { a(x: \"\"\" \\\"\"\" mutation { b } \"\"\") }")]
    [InlineData("# mutation\nquery{a}")]
    [InlineData("query{a} # mutation { b }")]
    [InlineData("query{a}\n# mutation { b }\n")]
    [InlineData("\uFEFF{ a }")]
    [InlineData("query { ...F } fragment F on T { a }")]
    [InlineData("fragment F on Mutation { a } query { ...F }")]
    [InlineData("query { ... on Mutation { a } }")]
    [InlineData("{ a { b { c { d } } } }")]
    public void Read(string document)
    {
        AssertNeed(GraphQLNeed.Read, GraphQLClassifier.ClassifyDocument(document));
    }

    [Theory]
    [InlineData("mutation { a }")]
    [InlineData("mutation M { a }")]
    [InlineData("mutation M($x: Int) { a(x: $x) }")]
    [InlineData("mutation{a}")]
    [InlineData("query Q { a } mutation M { b }")]
    [InlineData("mutation M { b } query Q { a }")]
    [InlineData("query Q { a } subscription S { s } mutation M { b }")]
    [InlineData("query A { a } query B { b } query C { c } mutation D { d }")]
    [InlineData("# query\nmutation { a }")]
    [InlineData("mutation { ...F } fragment F on Mutation { a }")]
    [InlineData("fragment F on Mutation { a } mutation { ...F }")]
    [InlineData("\t\r\n mutation\t{ a }")]
    [InlineData("mutation,{ a }")]
    public void ReadWrite(string document)
    {
        AssertNeed(GraphQLNeed.ReadWrite, GraphQLClassifier.ClassifyDocument(document));
    }

    [Fact]
    public void IntrospectionQuery_Read()
    {
        // The query GraphiQL and codegen tools send; its TypeRef fragment is the deepest common
        // real-world nesting, well inside the parser's depth limit.
        const string introspection = """
            query IntrospectionQuery {
              __schema {
                queryType { name } mutationType { name } subscriptionType { name }
                types { ...FullType }
                directives { name description locations args { ...InputValue } }
              }
            }
            fragment FullType on __Type {
              kind name description
              fields(includeDeprecated: true) {
                name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason
              }
              inputFields { ...InputValue }
              interfaces { ...TypeRef }
              enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
              possibleTypes { ...TypeRef }
            }
            fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
            fragment TypeRef on __Type {
              kind name
              ofType { kind name ofType { kind name ofType { kind name ofType { kind name
                ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }
            }
            """;
        AssertNeed(GraphQLNeed.Read, GraphQLClassifier.ClassifyDocument(introspection));
    }

    [Fact]
    public void FieldNesting_40Levels_Accepted()
    {
        // Within the parser's own limit; the field-depth limit (20 by default, GraphQLLimitsTests) is lifted here.
        string document = "query " + string.Concat(Enumerable.Repeat("{ a(x: 1) @d ", 40)) + new string('}', 40);
        AssertNeed(GraphQLNeed.Read, GraphQLClassifier.ClassifyDocument(document, GraphQLLimitsTests.ParserOnly));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("# only a comment")]
    [InlineData("{")]
    [InlineData("{ }")]
    [InlineData("}")]
    [InlineData("query")]
    [InlineData("mutation")]
    [InlineData("Mutation { a }")]
    [InlineData("MUTATION { a }")]
    [InlineData("mutations { a }")]
    [InlineData("query { a } garbage")]
    [InlineData("query { a(x: \"unterminated) }")]
    [InlineData("query { a(x: \"\"\"unterminated) }")]
    [InlineData("query { a } }")]
    [InlineData("\"mutation\" { a }")]
    [InlineData("query { a }\0")]
    [InlineData("{ a } ; mutation { b }")]
    [InlineData("\"\"\"description\"\"\" mutation { a }")]
    [InlineData("\"description\" query { a }")]
    [InlineData("{ a }\r\r\r !")]
    [InlineData("{\ra\n}\r!")]
    [InlineData("mutation { a }\r\r\r !")]
    public void Unparseable_Invalid(string document)
    {
        AssertInvalid(GraphQLClassifier.ClassifyDocument(document));
    }

    [Theory]
    [InlineData("fragment F on T { a }")]
    [InlineData("fragment F on T { a } fragment G on T { b }")]
    public void FragmentsOnly_NoOperation_Invalid(string document)
    {
        GraphQLVerdict verdict = GraphQLClassifier.ClassifyDocument(document);
        AssertInvalid(verdict);
        Assert.Contains("no operation", verdict.Detail);
    }

    [Theory]
    [InlineData("type T { a: Int }")]
    [InlineData("query { a } type T { a: Int }")]
    [InlineData("type T { a: Int } query { a }")]
    [InlineData("mutation { a } type Mutation { a: Int }")]
    [InlineData("schema { query: Q mutation: M }")]
    [InlineData("{ a } schema { query: Q }")]
    [InlineData("extend schema { mutation: M }")]
    [InlineData("{ a } extend type Query { b: Int }")]
    [InlineData("{ a } scalar Date")]
    [InlineData("{ a } extend scalar Date @x")]
    [InlineData("{ a } interface I { a: Int }")]
    [InlineData("{ a } union U = A | B")]
    [InlineData("{ a } enum E { A B }")]
    [InlineData("{ a } input In { a: Int }")]
    [InlineData("{ a } extend input In { b: Int }")]
    [InlineData("{ a } directive @d on FIELD")]
    [InlineData("{ a } \"\"\"description\"\"\" type T { a: Int }")]
    public void TypeSystemDefinitions_Invalid(string document)
    {
        GraphQLVerdict verdict = GraphQLClassifier.ClassifyDocument(document);
        AssertInvalid(verdict);
    }

    [Fact]
    public void TypeSystemDefinition_DetailNamesTheKind()
    {
        GraphQLVerdict verdict = GraphQLClassifier.ClassifyDocument("{ a } type T { a: Int }");
        Assert.Contains("ObjectTypeDefinition", verdict.Detail);
    }

    [Fact]
    public void SyntaxError_DetailHasLocation_AndEchoIsShort()
    {
        string huge = "query { a(x: " + new string('z', 10_000) + " ";
        GraphQLVerdict verdict = GraphQLClassifier.ClassifyDocument(huge);
        AssertInvalid(verdict);
        Assert.StartsWith("the GraphQL document does not parse at 1:", verdict.Detail);
        Assert.True(verdict.Detail!.Length < 200, verdict.Detail);
    }

    [Fact]
    public void Null_Invalid_NoThrow()
    {
        AssertInvalid(GraphQLClassifier.ClassifyDocument(null!));
        AssertInvalid(GraphQLClassifier.ClassifyGet(null!));
    }

    [Theory]
    [InlineData("{ a }")]
    [InlineData("query { a }")]
    [InlineData("subscription { a }")]
    [InlineData("subscription S { a } query Q { b }")]
    [InlineData("# mutation\n{ a }")]
    public void Get_ReadOperations_Read(string query)
    {
        AssertNeed(GraphQLNeed.Read, GraphQLClassifier.ClassifyGet(query));
    }

    [Theory]
    [InlineData("mutation { a }")]
    [InlineData("query Q { a } mutation M { b }")]
    [InlineData("subscription S { a } mutation M { b }")]
    public void Get_Mutation_MethodNotAllowed(string query)
    {
        GraphQLVerdict verdict = GraphQLClassifier.ClassifyGet(query);
        Assert.Equal(GraphQLRefusal.MethodNotAllowed, verdict.Refusal);
        Assert.Equal(GraphQLNeed.ReadWrite, verdict.Need);
        Assert.Contains("GET", verdict.Detail);
    }

    [Theory]
    [InlineData("")]
    [InlineData("mutation {")]
    [InlineData("mutation { a } type T { a: Int }")]
    public void Get_InvalidDocument_InvalidNot405(string query)
    {
        AssertInvalid(GraphQLClassifier.ClassifyGet(query));
    }

    [Theory]
    [InlineData("{ a }", GraphQLNeed.Read)]
    [InlineData("query Q { a }", GraphQLNeed.Read)]
    [InlineData("subscription { a }", GraphQLNeed.Read)]
    [InlineData("mutation { a }", GraphQLNeed.ReadWrite)]
    [InlineData("query Q { a } mutation M { b }", GraphQLNeed.ReadWrite)]
    [InlineData("# mutation\nquery { a }", GraphQLNeed.Read)]
    [InlineData("query { a(s: \"héllo ✓ 𝄞\") }", GraphQLNeed.Read)]
    public void DocumentBody_Classified(string document, GraphQLNeed need)
    {
        AssertNeed(need, GraphQLClassifier.ClassifyDocumentBody(Encoding.UTF8.GetBytes(document)));
    }

    [Fact]
    public void DocumentBody_WithBom_Accepted()
    {
        byte[] body = [0xEF, 0xBB, 0xBF, .. "mutation { a }"u8];
        AssertNeed(GraphQLNeed.ReadWrite, GraphQLClassifier.ClassifyDocumentBody(body));
    }

    [Theory]
    [InlineData(new byte[] { 0x7B, 0x20, 0x61, 0xFF, 0x7D })]
    [InlineData(new byte[] { 0x7B, 0x61, 0xC3, 0x7D })]
    [InlineData(new byte[] { 0x7B, 0x61, 0xED, 0xA0, 0x80, 0x7D })]
    [InlineData(new byte[] { 0xC0, 0xBB, 0x7B, 0x61, 0x7D })]
    public void DocumentBody_InvalidUtf8_Invalid(byte[] body)
    {
        GraphQLVerdict verdict = GraphQLClassifier.ClassifyDocumentBody(body);
        AssertInvalid(verdict);
        Assert.Contains("UTF-8", verdict.Detail);
    }

    [Fact]
    public void DocumentBody_Empty_Invalid()
    {
        AssertInvalid(GraphQLClassifier.ClassifyDocumentBody([]));
    }

    [Fact]
    public void DocumentBody_JsonSentAsGraphQL_Invalid()
    {
        AssertInvalid(GraphQLClassifier.ClassifyDocumentBody("{\"query\":\"{ a }\"}"u8));
    }
}
