using System.Net.Sockets;
using System.Text;
using Gateway.Tests.Enforcement;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Attack;

/// <summary>
/// Attack (did not work; kept as a regression): a key limited to a few requests an hour tries to get more past its
/// limit through what the limiter's own tests do not send: pipelined HTTP/1.1 on one connection, HEAD and OPTIONS, the
/// key spelled as a bare header, in the query and with a lower-case scheme, path spellings that route to the same
/// upstream, and requests refused for their scope or GraphQL form (which must spend nothing). The upstream sees exactly
/// the limit.
/// </summary>
public sealed class RateLimitChannelTests(GatewayTest.Parts parts) : GatewayTest(parts)
{
    protected override bool PartsPerTest => true;

    [Fact]
    public async Task PipelinedRequests_OnOneConnection_GetExactlyTheLimitThrough()
    {
        var (key, _) = await LimitedKeyAsync(requests: 5);
        var request = $"GET /v2/ep1/status HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer {key}\r\n\r\n";
        var pipelined = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(request, 20)) + request.Replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n", StringComparison.Ordinal));

        var statuses = await SendPipelinedAsync(pipelined);

        Assert.Equal(21, statuses.Count);
        Assert.Equal(5, statuses.Count(s => s == 200));
        Assert.Equal(16, statuses.Count(s => s == 429));
        Assert.Equal(5, Upstream.Count);
    }

    [Fact]
    public async Task EveryMethodAndKeySpelling_SpendsTheSameLimit_AndRefusedRequestsSpendNothing()
    {
        var (key, _) = await LimitedKeyAsync(requests: 6);
        var proxy = Host.Listeners.ProxyUri!;

        // Refused before the limit: a scope the key lacks, a mutation over GET, a path with an encoded slash. None spends it.
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(403, (await RawHttp.SendAsync(proxy, "POST", "/v2/forbidden/run", [$"Authorization: Bearer {key}"], "{}"u8.ToArray())).Status);
            Assert.Equal(405, (await RawHttp.SendAsync(proxy, "GET", "/graphql?query=mutation%7Ba%7D", [$"Authorization: Bearer {key}"])).Status);
            Assert.Equal(400, (await RawHttp.SendAsync(proxy, "GET", "/v2/ep1%2Fx/status", [$"Authorization: Bearer {key}"])).Status);
        }

        var attempts = new (string Method, string Target, string Header)[]
        {
            ("HEAD", "/v2/ep1/status", $"Authorization: Bearer {key}"),
            ("OPTIONS", "/v2/ep1/status", $"Authorization: Bearer {key}"),
            ("GET", "/v2/ep1/./status", $"Authorization: {key}"),
            ("GET", "/v2/ep1/x/../status?api_key=" + key, "X-Case: query"),
            ("GET", "/V2/ep1/status", $"Authorization: bearer {key}"),
            ("GET", "/graphql?query=%7Ba%7D", $"Authorization: Bearer {key}"),
        };
        foreach (var (method, target, header) in attempts)
        {
            var answer = await RawHttp.SendAsync(proxy, method, target, [header]);
            Assert.True(answer.Status == 200, $"{method} {target}: {answer.Status} {answer.Body}");
        }

        // The limit (6) is spent: every spelling is now 429, and the upstream saw the six above and nothing else.
        foreach (var (method, target, header) in attempts)
        {
            var answer = await RawHttp.SendAsync(proxy, method, target, [header]);
            Assert.Equal(429, answer.Status);
            Assert.True(answer.Headers.ContainsKey("Retry-After"), $"{method} {target}");
        }

        Assert.Equal(6, Upstream.Count);
        Assert.DoesNotContain(Upstream.Received, r => r.Path.Contains("forbidden", StringComparison.Ordinal) || r.Query.Contains("mutation", StringComparison.Ordinal));
    }

    private Task<(string Key, string Id)> LimitedKeyAsync(int requests) => Host.CreateKeyAsync(new
    {
        name = "limited",
        graphql = "read",
        endpoints = new Dictionary<string, string> { ["ep1"] = "read" },
        rateLimits = new[] { new { requests, windowSeconds = 3600 } },
    });

    private async Task<List<int>> SendPipelinedAsync(byte[] bytes)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        using var client = new TcpClient();
        await client.ConnectAsync(Host.Listeners.ProxyUri!.Host, Host.Listeners.ProxyUri.Port, timeout.Token);
        var stream = client.GetStream();
        await stream.WriteAsync(bytes, timeout.Token);
        using var received = new MemoryStream();
        await stream.CopyToAsync(received, timeout.Token);
        var text = Encoding.Latin1.GetString(received.ToArray());
        return System.Text.RegularExpressions.Regex.Matches(text, @"HTTP/1\.1 (\d{3}) ")
            .Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
    }
}
