using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Gateway.Tests.Enforcement;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.ClientAddresses;

/// <summary>What the allow-list tests send: keys with <c>allowedIps</c>, requests marked so the upstream's log can be searched.</summary>
internal static class ClientCalls
{
    public const string Marker = "X-Test-Case";

    public static async Task<string> KeyAsync(GatewayHost host, params string[] allowedIps) =>
        (await host.CreateKeyAsync(new { name = "allow-list", graphql = "read", endpoints = new Dictionary<string, string> { ["*"] = "readwrite" }, allowedIps })).Key;

    /// <summary>A GET on an endpoint route over a raw socket, so repeated headers go out exactly as given.</summary>
    public static Task<ProxyResponse> SendAsync(GatewayHost host, string key, string marker, params string[] headerLines) =>
        RawHttp.SendAsync(host.Listeners.ProxyUri!, "GET", "/v2/ep1/status", [$"Authorization: Bearer {key}", $"{Marker}: {marker}", .. headerLines]);

    public static bool Saw(RecordingUpstream upstream, string marker) => upstream.Received.Any(r => r.Header(Marker) == marker);

    public static async Task<JsonNode> PatchAsync(GatewayHost host, string id, object body)
    {
        using var response = await host.Admin.PatchAsJsonAsync($"/admin/keys/{id}", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonNode.Parse(text)!;
    }
}
