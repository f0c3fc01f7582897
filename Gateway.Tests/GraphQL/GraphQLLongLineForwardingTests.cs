using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Gateway.Tests.Enforcement;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.GraphQL;

/// <summary>
/// Through the real gateway: a document on one line, up to a body of exactly <c>KeyScopes:MaxGraphQLBodyBytes</c>
/// (1 MiB by default), reaches the upstream byte for byte; a hostile one-line body does not reach it at all.
/// </summary>
public sealed class GraphQLLongLineForwardingTests(GatewayTest.Parts parts) : GatewayTest(parts)
{
    // Each test asserts on everything its upstream saw.
    protected override bool PartsPerTest => true;

    private const int MaxBodyBytes = 1024 * 1024;

    [Fact]
    public async Task JsonBody_OfExactlyTheLimit_WithAOneLineDocument_IsForwardedByteForByte()
    {
        var (key, _) = await Host.CreateKeyAsync(new { name = "one line", graphql = "read" });
        // The padding is inside the query string: the document itself is one line of about 1 MiB.
        const string head = "{\"query\":\"query { myself { id } }";
        const string tail = "\"}";
        byte[] body = Encoding.UTF8.GetBytes(head + new string(' ', MaxBodyBytes - head.Length - tail.Length) + tail);
        Assert.Equal(MaxBodyBytes, body.Length);

        using var served = await GraphQLBodies.PostAsync(Host, key, body);

        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Equal(body, Assert.Single(Upstream.Received).Body);
    }

    [Fact]
    public async Task DocumentBody_OfExactlyTheLimit_OnOneLine_IsForwardedByteForByte()
    {
        var (key, _) = await Host.CreateKeyAsync(new { name = "one line", graphql = "read" });
        const string query = "query { myself { id } }";
        byte[] body = Encoding.UTF8.GetBytes(query + new string(' ', MaxBodyBytes - query.Length - 1) + "#");
        Assert.Equal(MaxBodyBytes, body.Length);

        using var served = await PostAsync(key, body, "application/graphql");

        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Equal(body, Assert.Single(Upstream.Received).Body);
    }

    [Fact]
    public async Task MinifiedQuery_Of20KB_IsForwarded_AndAMutationBesideIt_NeedsReadWrite()
    {
        var (key, _) = await Host.CreateKeyAsync(new { name = "minified", graphql = "read" });
        byte[] body = JsonSerializer.SerializeToUtf8Bytes(new { query = GraphQLLongLineTests.MinifiedQuery(20_000) });

        using var served = await GraphQLBodies.PostAsync(Host, key, body);
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Equal(body, Assert.Single(Upstream.Received).Body);

        byte[] withMutation = JsonSerializer.SerializeToUtf8Bytes(new { query = GraphQLLongLineTests.MinifiedQuery(20_000) + " mutation M{b}" });
        using var refused = await GraphQLBodies.PostAsync(Host, key, withMutation);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Single(Upstream.Received);
    }

    [Fact]
    public async Task HostileOneLineBody_IsInvalidGraphQL_AndNeverForwarded()
    {
        var (key, _) = await Host.CreateKeyAsync(new { name = "hostile", graphql = "readwrite" });
        // An unterminated string of about 1 MiB and a syntax error at the end of a 1 MiB line: the two bodies that
        // would cost GraphQL-Parser's error path about a terabyte.
        foreach (string document in new[] { "{ a(s: \"" + new string('x', MaxBodyBytes - 100), "{ a " + new string(' ', MaxBodyBytes - 100) + "!" })
        {
            using var refused = await GraphQLBodies.PostAsync(Host, key, JsonSerializer.SerializeToUtf8Bytes(new { query = document }));
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains("invalid_graphql", await refused.Content.ReadAsStringAsync());
        }

        Assert.Equal(0, Upstream.Count);
    }

    private async Task<HttpResponseMessage> PostAsync(string key, byte[] body, string mediaType)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql") { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return await Host.Proxy.SendAsync(request);
    }
}
