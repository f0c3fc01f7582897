using Gateway.Enforcement;
using Gateway.GraphQL;

namespace Gateway.Tests.GraphQL;

/// <summary>
/// On GraphQL routes the query string may hold only query, operationName, variables, extensions (exact
/// names, each at most once) and api_key; anything else is invalid_graphql. Names are compared as sent: an encoded
/// spelling of an allowed name is refused, an encoded api_key is the key (read and removed by the gateway).
/// </summary>
public class GraphQLQueryStringTests
{
    private static string? Check(string raw) => GraphQLQueryString.Check(raw, CredentialExtractor.IsApiKeyName);

    [Theory]
    [InlineData("")]
    [InlineData("?")]
    [InlineData("?query=%7Ba%7D")]
    [InlineData("query=%7Ba%7D")]
    [InlineData("?query=%7Ba%7D&operationName=A&variables=%7B%7D&extensions=%7B%7D")]
    [InlineData("?extensions=%7B%7D&variables=%7B%7D&operationName=A&query=%7Ba%7D")]
    [InlineData("?query=%7Ba%7D&api_key=k")]
    [InlineData("?api_key=k&api_key=k")]
    [InlineData("?query=%7Ba%7D&API_KEY=k")]
    [InlineData("?query=%7Ba%7D&api%5Fkey=k")]
    [InlineData("?query=%7Ba%7D&")]
    [InlineData("?&query=%7Ba%7D&&api_key=k")]
    [InlineData("?query")]
    [InlineData("?query=a+b%20c")]
    [InlineData("?query=a=b")]
    [InlineData("?operationName=")]
    public void Acceptable_QueryString(string raw)
    {
        Assert.Null(Check(raw));
    }

    [Theory]
    [InlineData("?x=1")]
    [InlineData("?query=%7Ba%7D&x=1")]
    [InlineData("?x=1;query=mutation%7Bb%7D&query=%7Ba%7D")]
    [InlineData("?query=%7Ba%7D;x=1")]
    [InlineData("?query=%7Ba;%7D")]
    [InlineData("?;")]
    [InlineData("?query[]=%7Ba%7D")]
    [InlineData("?query%5B%5D=%7Ba%7D")]
    [InlineData("?%20query=%7Ba%7D")]
    [InlineData("? query=%7Ba%7D")]
    [InlineData("?+query=%7Ba%7D")]
    [InlineData("?query+=%7Ba%7D")]
    [InlineData("?query.=%7Ba%7D")]
    [InlineData("?Query=%7Ba%7D")]
    [InlineData("?QUERY=%7Ba%7D")]
    [InlineData("?operationname=A")]
    [InlineData("?%71uery=%7Ba%7D")]
    [InlineData("?qu%65ry=%7Ba%7D")]
    [InlineData("?query=%7Ba%7D&query=%7Ba%7D")]
    [InlineData("?operationName=A&operationName=B")]
    [InlineData("?variables=%7B%7D&variables=%7B%7D")]
    [InlineData("?extensions=%7B%7D&extensions=%7B%7D")]
    [InlineData("?=x")]
    [InlineData("?api_key =k")]
    [InlineData("?api_keys=k")]
    [InlineData("?query%00=%7Ba%7D")]
    public void Refused_QueryString(string raw)
    {
        Assert.NotNull(Check(raw));
    }
}
