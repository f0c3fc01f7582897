using System.Net;
using System.Net.Sockets;
using System.Text;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Hosting;

/// <summary>The shipped config's Kestrel limits hold on the proxy listener, before any gateway code runs.</summary>
public sealed class KestrelLimitsTests(GatewayTest.Parts parts) : GatewayTest(parts)
{
    // The shipped config's limits, exactly as operators get them.
    protected override string WriteConfig(Uri upstream)
    {
        var shipped = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(RepoFile("appsettings.json")))!;
        var limits = shipped["Kestrel"]!["Limits"]!.DeepClone();
        return GatewayHost.WriteConfig(upstream, c => c["Kestrel"] = new System.Text.Json.Nodes.JsonObject { ["Limits"] = limits });
    }

    [Fact]
    public async Task TooManyHeaders_Is431_AndNeverForwarded()
    {
        var headers = string.Concat(Enumerable.Range(0, 70).Select(i => $"X-H{i}: v\r\n"));
        var status = await SendRawAsync($"GET /v2/ep1/status HTTP/1.1\r\nHost: x\r\n{headers}\r\n");
        Assert.Equal(431, status);
        Assert.Equal(0, Upstream.Count);
    }

    [Fact]
    public async Task OverlongRequestLine_Is414_AndNeverForwarded()
    {
        var status = await SendRawAsync($"GET /v2/ep1/{new string('a', 9000)} HTTP/1.1\r\nHost: x\r\n\r\n");
        Assert.Equal(414, status);
        Assert.Equal(0, Upstream.Count);
    }

    private async Task<int> SendRawAsync(string request)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, Host.Listeners.ProxyUri!.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        var buffer = new byte[512];
        var read = await stream.ReadAsync(buffer);
        var statusLine = Encoding.ASCII.GetString(buffer, 0, read).Split("\r\n")[0];
        return int.Parse(statusLine.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static string RepoFile(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Gateway.sln")))
            {
                return Path.Combine(dir.FullName, name);
            }
        }

        throw new FileNotFoundException(name);
    }
}
