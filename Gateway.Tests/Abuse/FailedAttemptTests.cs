using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Gateway.Keys;
using Gateway.Tests.Caching;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Abuse;

public sealed class FailedAttemptTests(GatewayTest.Parts parts) : GatewayTest(parts)
{
    // Each test counts failed attempts from the one loopback address and what the upstream saw from zero.
    protected override bool PartsPerTest => true;

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
        // In memory before the block: a key memory knows costs no store lookup, so the block does not apply to it.
        using (var warm = await GetAsync(valid))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        for (var i = 0; i < 3; i++)
        {
            using var refused = await GetAsync(KeyFormat.Generate());
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        using var limited = await GetAsync(KeyFormat.Generate());
        Assert.Equal((HttpStatusCode)429, limited.StatusCode);
        Assert.Equal("too_many_failed_attempts", await CodeOf(limited));
        Assert.True(limited.Headers.RetryAfter?.Delta > TimeSpan.Zero, "429 carries Retry-After in seconds");
        Assert.Equal(1, Upstream.Count);

        using var allowed = await GetAsync(valid);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal(2, Upstream.Count);
    }

    [Fact]
    public async Task BlockedAddress_InventedKeys_MakeNoStoreLookup_WhileOtherAddressesAndKnownKeysAreServed()
    {
        var (known, _) = await Host.CreateKeyAsync(new { name = "known", endpoints = new Dictionary<string, string> { ["*"] = "read" } });
        var (elsewhere, _) = await Host.CreateKeyAsync(new { name = "elsewhere", endpoints = new Dictionary<string, string> { ["*"] = "read" } });
        // In memory, for good: a created key is not announced, so nothing drops its entry after this first request.
        using (var warm = await GetAsync(known))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        var warmed = Upstream.Count;

        for (var i = 0; i < 3; i++)
        {
            using var refused = await GetAsync(CacheProbe.NewLegacyToken());
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        // Any 16 printable characters are a well-formed legacy key, so only the store could tell these apart.
        var lookups = CacheProbe.StoreReads(Host);
        for (var i = 0; i < 50; i++)
        {
            using var limited = await GetAsync(CacheProbe.NewLegacyToken());
            Assert.Equal((HttpStatusCode)429, limited.StatusCode);
            Assert.Equal("too_many_failed_attempts", await CodeOf(limited));
            Assert.True(limited.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        }

        Assert.Equal(lookups, CacheProbe.StoreReads(Host));

        // A key in memory still passes from the blocked address, and another address is not blocked at all.
        using var fromMemory = await GetAsync(known);
        Assert.Equal(HttpStatusCode.OK, fromMemory.StatusCode);
        using var otherAddress = NewClientFrom(IPAddress.Parse("127.0.0.2"));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v2/ep1/status");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", elsewhere);
        using var fromElsewhere = await otherAddress.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, fromElsewhere.StatusCode);
        Assert.Equal(lookups + 1, CacheProbe.StoreReads(Host));
        Assert.Equal(warmed + 2, Upstream.Count);
    }

    // Linux routes all of 127.0.0.0/8 to loopback, so a socket bound to 127.0.0.2 is a second client address.
    private HttpClient NewClientFrom(IPAddress local) => new(new SocketsHttpHandler
    {
        ConnectCallback = async (context, token) =>
        {
            var socket = new System.Net.Sockets.Socket(local.AddressFamily, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
            try
            {
                socket.Bind(new IPEndPoint(local, 0));
                await socket.ConnectAsync(context.DnsEndPoint, token);
                return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    })
    { BaseAddress = Host.Listeners.ProxyUri };

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
