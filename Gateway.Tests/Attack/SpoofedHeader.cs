using Gateway.Tests.Enforcement;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Attack;

/// <summary>A client-set header sent with an allowed request on an endpoint route and a GraphQL route, raw (any spelling).</summary>
internal static class SpoofedHeader
{
    /// <summary>
    /// Sends <paramref name="header"/> beside a harmless <paramref name="kept"/> header on both route kinds with a key
    /// that may read everything, asserts both were forwarded, and returns what the upstream received.
    /// </summary>
    public static async Task<RecordedRequest[]> SendOnBothRoutesAsync(GatewayHost host, RecordingUpstream upstream, string header, string kept)
    {
        var (key, _) = await host.CreateKeyAsync(new { name = "spoof", graphql = "read", endpoints = new Dictionary<string, string> { ["*"] = "read" } });
        var lines = new[] { $"Authorization: Bearer {key}", header, $"{kept}: kept" };

        var endpoint = await RawHttp.SendAsync(host.Listeners.ProxyUri!, "GET", "/v2/ep1/status", lines);
        var graphql = await RawHttp.SendAsync(host.Listeners.ProxyUri!, "GET", "/graphql?query=%7Ba%7D", lines);

        Assert.Equal(200, endpoint.Status);
        Assert.Equal(200, graphql.Status);
        var received = upstream.Received.ToArray();
        Assert.Equal(2, received.Length);
        return received;
    }
}
