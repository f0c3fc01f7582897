using System.Text.Json.Nodes;
using Gateway.Tests.Enforcement;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Attack;

/// <summary>
/// Attack (found, fixed): <c>/openapi/v1.json</c> named its server from the request's <c>Host</c> header, which any
/// client sets. A document fetched with <c>Host: evil.example</c> and kept by a cache (it carried no Cache-Control) told
/// every client generator, catalogue and try-it console to send its calls, bearer token included, to that host. The
/// document now names a relative server, the listener it was read from.
/// </summary>
public sealed class OpenApiHostReflectionTests(GatewayTest.Parts parts) : GatewayTest(parts)
{
    [Theory]
    [InlineData("evil.example")]
    [InlineData("evil.example:8443")]
    [InlineData("[2001:db8::1]:80")]
    public async Task TheDocument_NamesNoHostAClientSent(string host)
    {
        var answer = await RawHttp.SendBytesAsync(Host.Listeners.AdminUri!,
            System.Text.Encoding.ASCII.GetBytes($"GET /openapi/v1.json HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"));

        Assert.Equal(200, answer.Status);
        Assert.DoesNotContain(host.Split(':')[0].Trim('['), answer.Body, StringComparison.OrdinalIgnoreCase);
        var servers = JsonNode.Parse(answer.Body)!["servers"]!.AsArray();
        Assert.Equal("/", (string?)Assert.Single(servers)!["url"]);
    }
}
