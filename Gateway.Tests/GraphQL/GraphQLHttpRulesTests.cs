using Gateway.GraphQL;

namespace Gateway.Tests.GraphQL;

public class GraphQLHttpRulesTests
{
    private static readonly string?[] None = [];
    private static readonly string?[] One = ["{ a }"];

    private static GraphQLVerdict Post(string? contentType, string? contentEncoding = null, IReadOnlyList<string?>? query = null) =>
        GraphQLHttpRules.CheckHeaders("POST", contentType, contentEncoding, query ?? None);

    [Fact]
    public void Post_MissingContentType_415()
    {
        GraphQLVerdict verdict = Post(null);
        Assert.Equal(GraphQLRefusal.UnsupportedMediaType, verdict.Refusal);
        Assert.Contains("Content-Type", verdict.Detail);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("multipart/form-data; boundary=x")]
    [InlineData("application/graphql-response+json")]
    [InlineData("application/jsonx")]
    [InlineData("application/json-patch+json")]
    [InlineData("application")]
    [InlineData("; charset=utf-8")]
    [InlineData("application/json charset=utf-8")]
    public void Post_OtherMediaType_415(string contentType)
    {
        Assert.Equal(GraphQLRefusal.UnsupportedMediaType, Post(contentType).Refusal);
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("Application/JSON; charset=utf-8")]
    [InlineData("APPLICATION/JSON")]
    [InlineData("  application/json  ")]
    [InlineData("application/json;charset=UTF-8")]
    [InlineData("application/json; charset=\"utf-8\"")]
    [InlineData("application/json; charset=utf8")]
    [InlineData("application/json; foo=bar")]
    [InlineData("application/json;")]
    [InlineData("application/graphql")]
    [InlineData("Application/GraphQL; charset=utf-8")]
    public void Post_AcceptedMediaType_GoesOn(string contentType)
    {
        GraphQLVerdict verdict = Post(contentType);
        Assert.False(verdict.IsRefused);
        Assert.Equal(GraphQLRefusal.None, verdict.Refusal);
    }

    [Theory]
    [InlineData("application/json; charset=utf-16")]
    [InlineData("application/json; charset=iso-8859-1")]
    [InlineData("application/graphql; charset=latin1")]
    [InlineData("application/json; charset=utf-8; charset=utf-16")]
    public void Post_NonUtf8Charset_415(string contentType)
    {
        Assert.Equal(GraphQLRefusal.UnsupportedMediaType, Post(contentType).Refusal);
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("br")]
    [InlineData("deflate")]
    [InlineData("zstd")]
    [InlineData("identity, gzip")]
    [InlineData("gzip, identity")]
    [InlineData("")]
    public void Post_Compressed_415(string contentEncoding)
    {
        GraphQLVerdict verdict = Post("application/json", contentEncoding);
        Assert.Equal(GraphQLRefusal.UnsupportedMediaType, verdict.Refusal);
    }

    [Theory]
    [InlineData("identity")]
    [InlineData("IDENTITY")]
    [InlineData(" identity ")]
    public void Post_IdentityEncoding_GoesOn(string contentEncoding)
    {
        Assert.False(Post("application/json", contentEncoding).IsRefused);
    }

    [Fact]
    public void Post_WithQueryParameter_Invalid()
    {
        GraphQLVerdict verdict = Post("application/json", query: One);
        Assert.Equal(GraphQLRefusal.InvalidGraphQL, verdict.Refusal);
    }

    [Fact]
    public void Post_WithEmptyQueryParameter_Invalid()
    {
        Assert.Equal(GraphQLRefusal.InvalidGraphQL, Post("application/graphql", query: [""]).Refusal);
    }

    [Fact]
    public void Post_WrongMediaTypeAndQueryParameter_415First()
    {
        Assert.Equal(GraphQLRefusal.UnsupportedMediaType, Post("text/plain", query: One).Refusal);
    }

    [Fact]
    public void Get_OneQueryParameter_GoesOn()
    {
        GraphQLVerdict verdict = GraphQLHttpRules.CheckHeaders("GET", null, null, One);
        Assert.False(verdict.IsRefused);
    }

    [Fact]
    public void Get_IgnoresContentHeaders()
    {
        Assert.False(GraphQLHttpRules.CheckHeaders("GET", "text/plain", "gzip", One).IsRefused);
    }

    [Fact]
    public void Get_NoQueryParameter_Invalid()
    {
        GraphQLVerdict verdict = GraphQLHttpRules.CheckHeaders("GET", null, null, None);
        Assert.Equal(GraphQLRefusal.InvalidGraphQL, verdict.Refusal);
        Assert.Contains("query parameter is required", verdict.Detail);
    }

    [Fact]
    public void Get_TwoQueryParameters_Invalid()
    {
        GraphQLVerdict verdict = GraphQLHttpRules.CheckHeaders("GET", null, null, ["{ a }", "mutation { b }"]);
        Assert.Equal(GraphQLRefusal.InvalidGraphQL, verdict.Refusal);
    }

    [Fact]
    public void Get_TwoIdenticalQueryParameters_Invalid()
    {
        Assert.True(GraphQLHttpRules.CheckHeaders("GET", null, null, ["{ a }", "{ a }"]).IsRefused);
    }

    [Theory]
    [InlineData("PUT")]
    [InlineData("PATCH")]
    [InlineData("DELETE")]
    [InlineData("HEAD")]
    [InlineData("OPTIONS")]
    [InlineData("TRACE")]
    [InlineData("CONNECT")]
    [InlineData("get")]
    [InlineData("post")]
    [InlineData("")]
    public void OtherMethods_405(string method)
    {
        GraphQLVerdict verdict = GraphQLHttpRules.CheckHeaders(method, "application/json", null, One);
        Assert.Equal(GraphQLRefusal.MethodNotAllowed, verdict.Refusal);
        Assert.Contains("GET and POST", verdict.Detail);
    }

    [Fact]
    public void PassingVerdict_NeedIsReadWrite_SoMisuseFailsClosed()
    {
        Assert.Equal(GraphQLNeed.ReadWrite, Post("application/json").Need);
    }

    [Theory]
    [InlineData("application/json", true)]
    [InlineData("Application/JSON; charset=utf-8", true)]
    [InlineData(" application/json ;x=y", true)]
    [InlineData("application/graphql", false)]
    [InlineData("application/json+x", false)]
    [InlineData("text/json", false)]
    [InlineData("", false)]
    public void IsJson(string contentType, bool expected)
    {
        Assert.Equal(expected, GraphQLHttpRules.IsJson(contentType));
    }

    [Theory]
    [InlineData("application/graphql", true)]
    [InlineData("APPLICATION/GRAPHQL; charset=utf-8", true)]
    [InlineData("application/json", false)]
    public void IsGraphQLDocument(string contentType, bool expected)
    {
        Assert.Equal(expected, GraphQLHttpRules.IsGraphQLDocument(contentType));
    }
}
