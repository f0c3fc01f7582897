using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Gateway.Keys;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Abuse;

public sealed class FailedAttemptTests : GatewayTest
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Abuse:FailedKeyAttempts"] = "3",
        ["Abuse:FailedAdminAttempts"] = "2",
        ["Abuse:Window"] = "00:10:00",
    };

    [Fact]
    public async Task FailedKeys_PastTheLimit_Are429_WhileAValidKeyFromTheSameAddressStillPasses()
    {
        var (valid, _) = await Host.CreateKeyAsync(new { name = "valid", endpoints = new Dictionary<string, string> { ["*"] = "read" } });

        for (var i = 0; i < 3; i++)
        {
            using var refused = await GetAsync(KeyFormat.Generate());
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        using var limited = await GetAsync(KeyFormat.Generate());
        Assert.Equal((HttpStatusCode)429, limited.StatusCode);
        Assert.Equal("too_many_failed_attempts", await CodeOf(limited));
        Assert.True(limited.Headers.RetryAfter?.Delta > TimeSpan.Zero, "429 carries Retry-After in seconds");
        Assert.Equal(0, Upstream.Count);

        using var allowed = await GetAsync(valid);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Single(Upstream.Received);
    }

    [Fact]
    public async Task WrongAdminTokens_PastTheLimit_Are429_AndThenEvenTheRightTokenGetsNoAnswer()
    {
        using var client = new HttpClient { BaseAddress = Host.Listeners.AdminUri };
        for (var i = 0; i < 2; i++)
        {
            using var wrong = await SendAdminAsync(client, "wrong-token-" + i);
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        using var limited = await SendAdminAsync(client, "wrong-token-again");
        Assert.Equal((HttpStatusCode)429, limited.StatusCode);
        Assert.True(limited.Headers.RetryAfter?.Delta > TimeSpan.Zero);

        // Blocked means no verdict on any token: a guesser learns nothing until the window passes.
        using var right = await SendAdminAsync(client, GatewayHost.AdminToken);
        Assert.Equal((HttpStatusCode)429, right.StatusCode);
    }

    private async Task<HttpResponseMessage> GetAsync(string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v2/ep1/status");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return await Host.Proxy.SendAsync(request);
    }

    private static async Task<HttpResponseMessage> SendAdminAsync(HttpClient client, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/admin/keys");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await client.SendAsync(request);
    }

    private static async Task<string?> CodeOf(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("code").GetString();
}
