using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Observability;

/// <summary>
/// The real binary, in a process of its own (no tracer or listener of another test can reach it): with
/// <c>Logging:Console:FormatterName=json</c> standard output is one JSON object per line with a key in a request's
/// query redacted; with tracing off, a client's trace id still reaches the upstream.
/// </summary>
public sealed class GatewayProcessTests : IAsyncLifetime
{
    private RecordingUpstream _upstream = null!;

    public async Task InitializeAsync() => _upstream = await RecordingUpstream.StartAsync();

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    [Fact]
    public async Task JsonFormatter_WritesOneObjectPerLine_WithTheKeyRedacted()
    {
        var secret = "rpa_" + new string('J', 40);
        var run = await RunGatewayAsync(new Dictionary<string, string>
        {
            ["Logging__Console__FormatterName"] = "json",
            ["Logging__LogLevel__Default"] = "Information",
        }, async (proxy, _) =>
        {
            using var refused = await proxy.GetAsync(new Uri($"/v2/ep-1/run?api_key={secret}", UriKind.Relative));
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        });

        var lines = run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.NotEmpty(lines);
        foreach (var line in lines)
        {
            using var entry = JsonDocument.Parse(line);
            Assert.Equal(JsonValueKind.Object, entry.RootElement.ValueKind);
            Assert.True(entry.RootElement.TryGetProperty("LogLevel", out _), line);
        }

        Assert.Contains(lines, l => l.Contains("Request starting", StringComparison.Ordinal) && l.Contains("api_key=[redacted]", StringComparison.Ordinal));
        Assert.DoesNotContain(secret, run.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, run.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TracingOff_TheClientsTraceIdStillReachesTheUpstream()
    {
        const string traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        await RunGatewayAsync(new Dictionary<string, string>(), async (proxy, admin) =>
        {
            using var created = await admin.PostAsync(new Uri("/admin/keys", UriKind.Relative),
                new StringContent("""{"name":"trace-off","endpoints":{"*":"read"}}""", System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            var key = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("key").GetString()!;

            using var request = new HttpRequestMessage(HttpMethod.Get, "/v2/ep-1/status");
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
            request.Headers.Add("traceparent", $"00-{traceId}-00f067aa0ba902b7-01");
            using var answer = await proxy.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        });

        var seen = Assert.Single(_upstream.Received);
        Assert.Equal(traceId, seen.Header("traceparent")!.Split('-')[1]);
    }

    [Fact]
    public async Task TracingWithQueryRedactionOptedOut_NoExportedByteHoldsAKeyFromTheQuery()
    {
        await using var collector = await RecordingUpstream.StartAsync();
        var legacy = "lg-" + Guid.NewGuid().ToString("N");
        var unknown = "rpa_" + new string('U', 40);
        string key = null!;
        await RunGatewayAsync(new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Address.ToString().TrimEnd('/'),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
            // The documented opt-outs of query redaction: ASP.NET Core's instrumentation (url.query of the server span),
            // HttpClient's instrumentation and the runtime's own HttpClient activity (url.full of the forwarding span).
            ["OTEL_DOTNET_EXPERIMENTAL_ASPNETCORE_DISABLE_URL_QUERY_REDACTION"] = "true",
            ["OTEL_DOTNET_EXPERIMENTAL_HTTPCLIENT_DISABLE_URL_QUERY_REDACTION"] = "true",
            ["DOTNET_SYSTEM_NET_HTTP_DISABLEURIREDACTION"] = "true",
        }, async (proxy, admin) =>
        {
            using var created = await admin.PostAsync(new Uri("/admin/keys", UriKind.Relative),
                new StringContent("""{"name":"traced-query","endpoints":{"*":"read"}}""", System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            key = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("key").GetString()!;
            using var imported = await admin.PostAsync(new Uri("/admin/keys/legacy", UriKind.Relative),
                new StringContent($$"""{"keys":[{"key":"{{legacy}}","name":"traced-legacy","graphql":"read"}]}""", System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.OK, imported.StatusCode);

            // Each request also carries a harmless parameter: seen verbatim in the export, it shows redaction really is off.
            using var allowed = await proxy.GetAsync(new Uri($"/v2/ep-1/status?api_key={key}&probe=marker-one", UriKind.Relative));
            using var legacyAllowed = await proxy.GetAsync(new Uri($"/v2/ep-1/legacy?probe=marker-two&API_KEY={legacy}", UriKind.Relative));
            using var refused = await proxy.GetAsync(new Uri($"/v2/ep-1/other?probe=marker-three&api_key={unknown}", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
            Assert.Equal(HttpStatusCode.OK, legacyAllowed.StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

            var forwarded = $"{_upstream.Address.Authority}/v2/ep-1/status?probe=marker-one";
            await Eventually.TrueAsync(() => ExportHolds(collector, "probe=marker-one") && ExportHolds(collector, "probe=marker-two")
                && ExportHolds(collector, "probe=marker-three") && ExportHolds(collector, forwarded), "the three requests' spans, unredacted, at the collector");
        });

        Assert.Equal(2, _upstream.Received.Count);
        Assert.False(ExportHolds(collector, key), "an OTLP export held the key");
        Assert.False(ExportHolds(collector, legacy), "an OTLP export held the legacy key");
        Assert.False(ExportHolds(collector, unknown), "an OTLP export held the unknown key");
    }

    // Every span attribute and event an exporter sends is in these bytes (OTLP over HTTP, protobuf: strings as UTF-8).
    private static bool ExportHolds(RecordingUpstream collector, string text)
    {
        var needle = System.Text.Encoding.UTF8.GetBytes(text);
        return collector.Received.Where(r => r.Path == "/v1/traces").Any(r => r.Body.AsSpan().IndexOf(needle) >= 0);
    }

    /// <summary>Runs <c>dotnet Gateway.dll</c> until <paramref name="act"/> is done, stops it gracefully, and returns its output.</summary>
    private async Task<(string Out, string Err)> RunGatewayAsync(Dictionary<string, string> environment, Func<HttpClient, HttpClient, Task> act)
    {
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
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            using var proxy = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{proxyPort}"), Timeout = TimeSpan.FromSeconds(10) };
            using var admin = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{adminPort}"), Timeout = TimeSpan.FromSeconds(10) };
            admin.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", GatewayHost.AdminToken);
            await Eventually.TrueAsync(async () =>
            {
                try
                {
                    using var ready = await admin.GetAsync(new Uri("/readyz", UriKind.Relative));
                    return ready.IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            }, "the gateway process to be ready", TimeSpan.FromSeconds(60));

            await act(proxy, admin);

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

        return (await stdout, await stderr);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
