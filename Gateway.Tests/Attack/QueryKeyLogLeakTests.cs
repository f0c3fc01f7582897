using System.Net.Http.Headers;
using Gateway.Observability;
using Gateway.Tests.Enforcement;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Attack;

/// <summary>
/// Attack (found, fixed): the log redaction ended an <c>api_key</c> value at <c>#</c>, but a raw <c>#</c> in a request
/// target reaches the query parser, so a legacy key holding <c>#</c> was read whole as the key (and served) while the
/// request lines ASP.NET Core logs kept everything after the <c>#</c>. Parameters that upstream parsers read as
/// <c>api_key</c> (after a <c>;</c>, <c>api_key[]</c>, <c>api.key</c>, <c>%20api_key</c>, <c>api_key%00</c>) were not
/// redacted at all. Every log text of these requests, at Trace, holds no part of the key.
/// </summary>
public sealed class QueryKeyLogLeakTests(GatewayTest.Parts parts) : GatewayTest(parts)
{
    private const string HashKey = "LegacyWith#Hash-Tail0123456789";
    private const string Tail = "Hash-Tail0123456789";
    private const string Spelled = "legacy-Spelled-Secret-0123456789";

    protected override bool PartsPerTest => true;

    protected override void ConfigureLogging(ILoggingBuilder logging) => logging.AddFakeLoggingAtTrace();

    [Fact]
    public async Task ALegacyKeyHoldingAHash_IsServed_AndNoPartOfItIsLogged()
    {
        using (var import = await Host.Admin.PostAsync("/admin/keys/legacy", new StringContent(
            $$"""{"keys":[{"key":"{{HashKey}}","name":"hash","graphql":"read"}]}""", System.Text.Encoding.UTF8, "application/json")))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, import.StatusCode);
        }

        var served = await RawHttp.SendAsync(Host.Listeners.ProxyUri!, "GET", "/v2/ep1/status?api_key=" + HashKey, []);

        Assert.Equal(200, served.Status);
        var seen = Assert.Single(Upstream.Received);
        Assert.False(seen.Contains(Tail), seen.RawTarget);
        await AssertNeverLoggedAsync("/v2/ep1/status", Tail);
    }

    [Theory]
    [InlineData("/v2/ep1/status?x=1;api_key=")]
    [InlineData("/v2/ep1/status?api_key[]=")]
    [InlineData("/v2/ep1/status?api.key=")]
    [InlineData("/v2/ep1/status?%20api_key=")]
    [InlineData("/v2/ep1/status?api_key%00=")]
    [InlineData("/v2/ep1/status?api+key=")]
    [InlineData("/graphql?x=1;api_key=")]
    public async Task ParametersUpstreamsReadAsApiKey_AreNeverLogged(string target)
    {
        var (key, _) = await Host.CreateKeyAsync(new { name = "valid", graphql = "read", endpoints = new Dictionary<string, string> { ["*"] = "read" } });

        var answer = await RawHttp.SendAsync(Host.Listeners.ProxyUri!, "GET", target + Spelled, [$"Authorization: Bearer {key}"]);

        // Whatever the answer (forwarded on endpoint routes, refused on GraphQL ones), the value is in no log text.
        Assert.True(answer.Status is 200 or 400, $"{answer.Status} {answer.Body}");
        await AssertNeverLoggedAsync(target[..target.IndexOf('?', StringComparison.Ordinal)], Spelled);
    }

    private async Task AssertNeverLoggedAsync(string path, string secret)
    {
        var log = Host.FakeLog();
        // The request-finished line is written after the answer; wait for it so the whole request is in the log.
        await Eventually.TrueAsync(() => Task.FromResult(log.GetSnapshot().Any(r =>
            r.Message.StartsWith("Request finished", StringComparison.Ordinal) && r.Message.Contains(path, StringComparison.Ordinal))),
            "the request-finished log line");
        var texts = log.AllTexts();
        Assert.Contains(texts, t => t.Contains(LogRedaction.Redacted, StringComparison.Ordinal));
        Assert.DoesNotContain(texts, t => t.Contains(secret, StringComparison.Ordinal));
    }
}
