using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Attack;

/// <summary>
/// Attack on the shortcut that skips the header walk when a request carries only common headers: on Kestrel's own
/// header dictionary (known headers in fields, others in a dictionary of their own), a removed header sent beside
/// nothing but common ones, in several copies, in mixed case, or beside an unknown twin of a known header
/// (<c>Accept_Encoding</c>), still never reaches the upstream; a request with only common headers arrives whole.
/// </summary>
public sealed class ClientHeaderHygieneKestrelTests(GatewayTest.Parts parts) : GatewayTest(parts)
{
    private const string Spoofed = "203.0.113.77";

    protected override bool PartsPerTest => true;

    public static TheoryData<string[]> Sneaky => new()
    {
        // Only common headers besides it (Host, Authorization and Connection are always sent).
        new[] { $"X-Real-IP: {Spoofed}" },
        new[] { "User-Agent: t", "Accept: */*", $"x_REAL_ip: {Spoofed}" },
        new[] { $"X_Gateway_Key_Id: {Spoofed}", "Accept-Encoding: gzip" },
        // Several copies of one, and two removed names.
        new[] { $"X-Real-IP: {Spoofed}", $"x-real-ip: {Spoofed}", $"X-GATEWAY-KEY-ID: {Spoofed}" },
        // An unknown twin of a known header, then the removed one.
        new[] { "Accept-Encoding: gzip", "Accept_Encoding: gzip", $"True_Client_IP: {Spoofed}" },
        // The proxy's own name in underscores beside the dashed one YARP replaces.
        new[] { $"X-Forwarded-For: {Spoofed}", $"x_forwarded_for: {Spoofed}", "User-Agent: t" },
    };

    [Theory]
    [MemberData(nameof(Sneaky))]
    public async Task ARemovedHeader_AmongCommonOnes_NeverReachesTheUpstream(string[] lines)
    {
        var seen = await SendAsync(lines);

        Assert.False(seen.Contains(Spoofed), string.Join("; ", seen.Headers.Select(h => $"{h.Key}: {string.Join(",", h.Value)}")));
        Assert.Equal("127.0.0.1", seen.Header("X-Forwarded-For"));
    }

    [Fact]
    public async Task OnlyCommonHeaders_ArriveWhole()
    {
        var seen = await SendAsync(["User-Agent: agent-t", "Accept: text/plain", "Accept-Language: en", "Cache-Control: no-cache"]);

        Assert.Equal("agent-t", seen.Header("User-Agent"));
        Assert.Equal("text/plain", seen.Header("Accept"));
        Assert.Equal("en", seen.Header("Accept-Language"));
        Assert.Equal("no-cache", seen.Header("Cache-Control"));
    }

    private async Task<RecordedRequest> SendAsync(string[] lines)
    {
        var (key, _) = await Host.CreateKeyAsync(new { name = "hygiene", endpoints = new Dictionary<string, string> { ["*"] = "read" } });

        var response = await Enforcement.RawHttp.SendAsync(Host.Listeners.ProxyUri!, "GET", "/v2/ep1/status", [$"Authorization: Bearer {key}", .. lines]);

        Assert.Equal(200, response.Status);
        return Assert.Single(Upstream.Received);
    }
}
