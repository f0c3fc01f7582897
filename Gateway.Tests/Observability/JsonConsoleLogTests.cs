using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Observability;

/// <summary>
/// The real binary with <c>Logging:Console:FormatterName=json</c>: standard output is one JSON object per line, and
/// a key in a request's query is redacted in it like in any other log.
/// </summary>
public sealed class JsonConsoleLogTests : IAsyncLifetime
{
    private RecordingUpstream _upstream = null!;

    public async Task InitializeAsync() => _upstream = await RecordingUpstream.StartAsync();

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    [Fact]
    public async Task JsonFormatter_WritesOneObjectPerLine_WithTheKeyRedacted()
    {
        var secret = "rpa_" + new string('J', 40);
        var proxyPort = FreePort();
        var adminPort = FreePort();
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Gateway.dll"));
        start.Environment["GATEWAY_CONFIG"] = GatewayHost.WriteConfig(_upstream.Address);
        start.Environment["Redis__Configuration"] = TestStore.Configuration;
        start.Environment["Redis__KeyPrefix"] = TestStore.UniquePrefix();
        start.Environment["Admin__Token"] = GatewayHost.AdminToken;
        start.Environment["Kestrel__Endpoints__Proxy__Url"] = $"http://127.0.0.1:{proxyPort}";
        start.Environment["Kestrel__Endpoints__Admin__Url"] = $"http://127.0.0.1:{adminPort}";
        start.Environment["Logging__Console__FormatterName"] = "json";
        start.Environment["Logging__LogLevel__Default"] = "Information";

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            await Eventually.TrueAsync(async () =>
            {
                try
                {
                    using var ready = await client.GetAsync(new Uri($"http://127.0.0.1:{adminPort}/readyz"));
                    return ready.IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            }, "the gateway process to be ready", TimeSpan.FromSeconds(60));

            using var refused = await client.GetAsync(new Uri($"http://127.0.0.1:{proxyPort}/v2/ep-1/run?api_key={secret}"));
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

            // A graceful stop, so the console logger's queue is written out.
            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await process.WaitForExitAsync(deadline.Token);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        var output = await stdout;
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.NotEmpty(lines);
        foreach (var line in lines)
        {
            using var entry = JsonDocument.Parse(line);
            Assert.Equal(JsonValueKind.Object, entry.RootElement.ValueKind);
            Assert.True(entry.RootElement.TryGetProperty("LogLevel", out _), line);
        }

        Assert.Contains(lines, l => l.Contains("Request starting", StringComparison.Ordinal) && l.Contains("api_key=[redacted]", StringComparison.Ordinal));
        Assert.DoesNotContain(secret, output, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, await stderr, StringComparison.Ordinal);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
