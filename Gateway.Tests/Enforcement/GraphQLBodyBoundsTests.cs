using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Gateway.Enforcement;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Enforcement;

/// <summary>A GraphQL body must arrive within <c>KeyScopes:GraphQLBodyTimeout</c> or it is 408 <c>body_timeout</c> (README: "The key cache").</summary>
public sealed class GraphQLBodyTimeoutTests(GatewayTest.Parts parts) : GatewayTest(parts)
{
    // Each test counts what the upstream saw from zero.
    protected override bool PartsPerTest => true;

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["KeyScopes:GraphQLBodyTimeout"] = "00:00:01",
    };

    [Fact]
    public async Task HeldBody_Is408BodyTimeout_AndNothingReachesTheUpstream()
    {
        var (key, _) = await Host.CreateKeyAsync(new { name = "held", graphql = "read" });

        // 60,000 bytes of 65,536 declared, then nothing. Sent at once, they earn minutes of credit with Kestrel's
        // minimum data rate (240 B/s averaged), so only the gateway's own deadline ends this request soon.
        await using var held = await HeldBody.StartAsync(Host.Listeners.ProxyUri!, key, declaredLength: 65536, sent: 60_000);
        var answer = await held.ResponseAsync(TimeSpan.FromSeconds(15));

        Assert.Equal(408, answer.Status);
        Assert.Equal("body_timeout", answer.Code);
        answer.AssertProblemShape("408 body_timeout");
        Assert.Equal(0, Upstream.Count);
        Assert.Equal(0, Host.Services.GetRequiredService<GraphQLBodyBudget>().HeldBytes);

        // The deadline is per body: a prompt one right after is forwarded.
        using var prompt = await GraphQLBodies.PostAsync(Host, key, GraphQLBodies.Padded(2000));
        Assert.Equal(HttpStatusCode.OK, prompt.StatusCode);
        Assert.Single(Upstream.Received);
    }
}

/// <summary>
/// At most <c>KeyScopes:MaxBufferedGraphQLBytes</c> of GraphQL bodies are held at once; past it a request is 503
/// <c>overloaded</c> with <c>Retry-After</c>, and the budget comes back when held bodies end (README: "The key cache").
/// </summary>
public sealed class GraphQLBodyBudgetTests(GatewayTest.Parts parts) : GatewayTest(parts)
{
    // Each test counts what the upstream saw from zero.
    protected override bool PartsPerTest => true;

    private const int Limit = 32 * 1024;

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["KeyScopes:MaxGraphQLBodyBytes"] = Limit.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["KeyScopes:MaxBufferedGraphQLBytes"] = (2 * Limit).ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["KeyScopes:GraphQLBodyTimeout"] = "00:05:00",
    };

    private GraphQLBodyBudget Budget => Host.Services.GetRequiredService<GraphQLBodyBudget>();

    [Fact]
    public async Task HeldBodies_ExhaustTheBudget_ThenOverloaded503WithRetryAfter_AndTheBudgetComesBack()
    {
        var (key, _) = await Host.CreateKeyAsync(new { name = "budget", graphql = "read" });
        var held = new List<HeldBody>();
        ProxyResponse? overloaded = null;
        try
        {
            for (var i = 0; i < 20 && overloaded is null; i++)
            {
                var before = Budget.HeldBytes;
                var body = await HeldBody.StartAsync(Host.Listeners.ProxyUri!, key, declaredLength: Limit, sent: 20_000);
                held.Add(body);
                // Either the gateway holds these bytes now (the budget grew) or it answered.
                await Eventually.TrueAsync(() => body.Answered || Budget.HeldBytes >= before + 20_000, "the body to be held or answered");
                if (body.Answered)
                {
                    overloaded = await body.ResponseAsync(TimeSpan.FromSeconds(5));
                }
            }

            Assert.NotNull(overloaded);
            Assert.Equal(503, overloaded.Status);
            Assert.Equal("overloaded", overloaded.Code);
            overloaded.AssertProblemShape("503 overloaded");
            Assert.True(int.Parse(overloaded.Header("Retry-After")!, System.Globalization.CultureInfo.InvariantCulture) >= 1);
            Assert.True(held.Count >= 2, $"{held.Count - 1} bodies were held before the budget ran out");
            Assert.True(Budget.HeldBytes <= 2 * Limit, $"held {Budget.HeldBytes} bytes, over the budget");
            Assert.Equal(0, Upstream.Count);
        }
        finally
        {
            foreach (var body in held)
            {
                await body.DisposeAsync();
            }
        }

        // The held requests ended (their clients went away): their bytes are back, and a full body is served.
        await Eventually.TrueAsync(() => Budget.HeldBytes == 0, "the budget to come back");
        var full = GraphQLBodies.Padded(Limit);
        using var served = await GraphQLBodies.PostAsync(Host, key, full);
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Equal(full, Assert.Single(Upstream.Received).Body);
        await Eventually.TrueAsync(() => Budget.HeldBytes == 0, "the forwarded body's bytes to come back");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task BodyAtExactlyTheLimit_IsForwardedByteForByte_AndOneByteMoreIs413(bool chunked)
    {
        var (key, _) = await Host.CreateKeyAsync(new { name = "exact", graphql = "read" });
        var exact = GraphQLBodies.Padded(Limit);

        using var served = await GraphQLBodies.PostAsync(Host, key, exact, chunked);
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        var forwarded = Assert.Single(Upstream.Received);
        Assert.Equal(exact, forwarded.Body);

        using var over = await GraphQLBodies.PostAsync(Host, key, GraphQLBodies.Padded(Limit + 1), chunked);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, over.StatusCode);
        Assert.Single(Upstream.Received);
    }
}

/// <summary>GraphQL request bodies of a chosen size.</summary>
internal static class GraphQLBodies
{
    /// <summary>A valid read-only JSON request of exactly <paramref name="size"/> bytes (padded with trailing white space).</summary>
    public static byte[] Padded(int size)
    {
        var json = Encoding.UTF8.GetBytes("{\"query\":\"{ me { id } }\"}");
        var body = new byte[size];
        Array.Fill(body, (byte)' ');
        json.CopyTo(body, 0);
        return body;
    }

    public static async Task<HttpResponseMessage> PostAsync(GatewayHost host, string key, byte[] body, bool chunked = false)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql") { Content = content };
        request.Headers.TransferEncodingChunked = chunked;
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return await host.Proxy.SendAsync(request);
    }
}
