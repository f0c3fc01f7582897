using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace Gateway.Tests.Observability;

/// <summary>
/// OpenTelemetry tracing through the real gateway: spans reach an OTLP collector (a recording Kestrel listener) and an
/// in-memory exporter; the request's server span carries the gateway's decision and the judged key's id, never the
/// key; the client's trace continues to the upstream.
/// </summary>
[Collection(TracingCollection.Name)]
public sealed class TracingTests : IAsyncLifetime
{
    private const string ClientTraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    private readonly ConcurrentQueue<Activity> _exported = new();
    private RecordingUpstream _upstream = null!;
    private RecordingUpstream _collector = null!;
    private GatewayHost _host = null!;

    public async Task InitializeAsync()
    {
        _upstream = await RecordingUpstream.StartAsync();
        _collector = await RecordingUpstream.StartAsync();
        _host = new GatewayHost(
            GatewayHost.WriteConfig(_upstream.Address),
            TestStore.Configuration,
            TestStore.UniquePrefix(),
            new Dictionary<string, string?>
            {
                ["OTEL_EXPORTER_OTLP_ENDPOINT"] = _collector.Address.ToString().TrimEnd('/'),
                ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
                // Export batches every 100 ms instead of 5 s, so the collector hears of a span soon.
                ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
            },
            configureServices: services => services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(new ActivityList(_exported)))).Start();
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _collector.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    [Fact]
    public async Task AllowedRequest_ServerSpanCarriesTheDecisionAndKeyId_AndTheClientTraceReachesTheUpstream()
    {
        var (key, id) = await _host.CreateKeyAsync(new { name = "traced", endpoints = new Dictionary<string, string> { ["ep-1"] = "read" } });

        // Sent as raw bytes: an HttpClient in this process is instrumented by the same tracer and would send a trace of its own.
        var status = await RawGetAsync("/v2/ep-1/status", $"Authorization: Bearer {key}\r\ntraceparent: 00-{ClientTraceId}-00f067aa0ba902b7-01\r\n");

        Assert.Equal(200, status);
        var seen = Assert.Single(_upstream.Received);
        var server = await ServerSpanAsync("/v2/ep-1/status");
        Assert.Equal(ClientTraceId, seen.Header("traceparent")!.Split('-')[1]);

        Assert.Equal(ClientTraceId, server.TraceId.ToHexString());
        Assert.Equal("allowed", server.GetTagItem("gateway.decision"));
        Assert.Equal(id, server.GetTagItem("gateway.key_id"));
        Assert.Null(server.GetTagItem("gateway.refusal_code"));
        var decision = Assert.Single(server.Events, e => e.Name == "gateway.decision");
        Assert.Contains(decision.Tags, t => t.Key == "gateway.key_id" && (string?)t.Value == id);

        // The forwarded request is a client span of the same trace, and the upstream saw that span as its parent.
        await Eventually.TrueAsync(() => _exported.Any(a => a.Kind == ActivityKind.Client && a.TraceId == server.TraceId), "the forwarding span");
        var forwarding = _exported.Single(a => a.Kind == ActivityKind.Client && a.TraceId == server.TraceId);
        Assert.Equal(forwarding.SpanId.ToHexString(), seen.Header("traceparent")!.Split('-')[2]);
        AssertNoSpanHolds(key);

        // And the batch went out by OTLP over HTTP.
        await Eventually.TrueAsync(() => _collector.Received.Any(r => r.Path == "/v1/traces"), "an OTLP export to the collector");
        var export = _collector.Received.First(r => r.Path == "/v1/traces");
        Assert.Equal("POST", export.Method);
        Assert.StartsWith("application/x-protobuf", export.Header("Content-Type"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RefusedRequest_ServerSpanCarriesTheRefusalCode_AndTheUpstreamNeverSawIt()
    {
        var (key, id) = await _host.CreateKeyAsync(new { name = "traced-denied", endpoints = new Dictionary<string, string> { ["ep-1"] = "read" } });

        var answer = await _host.SendWithKeyAsync(HttpMethod.Post, "/v2/ep-1/run", key);

        Assert.Equal(403, answer.Status);
        Assert.Empty(_upstream.Received);
        var server = await ServerSpanAsync("/v2/ep-1/run");
        Assert.Equal("refused", server.GetTagItem("gateway.decision"));
        Assert.Equal("scope_denied", server.GetTagItem("gateway.refusal_code"));
        Assert.Equal(id, server.GetTagItem("gateway.key_id"));
        var decision = Assert.Single(server.Events, e => e.Name == "gateway.decision");
        Assert.Contains(decision.Tags, t => t.Key == "gateway.refusal_code" && (string?)t.Value == "scope_denied");
        AssertNoSpanHolds(key);
    }

    [Fact]
    public async Task KeyInTheQuery_IsInNoSpanAndInNoExportedByte()
    {
        var (key, _) = await _host.CreateKeyAsync(new { name = "traced-query", endpoints = new Dictionary<string, string> { ["ep-1"] = "read" } });
        var unknown = "rpa_" + new string('Q', 40);

        using var allowed = await _host.Proxy.GetAsync($"/v2/ep-1/status?api_key={key}&x=1");
        using var refused = await _host.Proxy.GetAsync($"/v2/ep-1/other?api_key={unknown}");

        Assert.Equal(200, (int)allowed.StatusCode);
        Assert.Equal(401, (int)refused.StatusCode);
        var other = await ServerSpanAsync("/v2/ep-1/other");
        Assert.Equal("invalid_key", other.GetTagItem("gateway.refusal_code"));
        Assert.Null(other.GetTagItem("gateway.key_id"));
        await ServerSpanAsync("/v2/ep-1/status");
        AssertNoSpanHolds(key);
        AssertNoSpanHolds(unknown);

        await Eventually.TrueAsync(() => _collector.Received.Any(r => r.Path == "/v1/traces") && ExportedBytesHold("/v2/ep-1/other"), "both requests exported by OTLP");
        Assert.False(ExportedBytesHold(key), "an OTLP export held the key");
        Assert.False(ExportedBytesHold(unknown), "an OTLP export held the unknown key");
    }

    [Fact]
    public async Task Probes_MakeNoSpans()
    {
        using var health = await _host.Admin.GetAsync("/healthz");
        var (key, _) = await _host.CreateKeyAsync(new { name = "after-probe", endpoints = new Dictionary<string, string> { ["ep-1"] = "read" } });
        var after = await _host.SendWithKeyAsync(HttpMethod.Get, "/v2/ep-1/after-probe", key);
        Assert.Equal(200, after.Status);

        // The later request's span is exported, so the probe's would have been by then.
        await ServerSpanAsync("/v2/ep-1/after-probe");
        Assert.Equal(200, (int)health.StatusCode);
        Assert.DoesNotContain(_exported, a => a.Kind == ActivityKind.Server && (a.GetTagItem("url.path") as string) == "/healthz" &&
            a.GetTagItem("server.port") is int port && port == _host.Listeners.AdminUri!.Port);
    }

    private async Task<int> RawGetAsync(string target, string headers)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(System.Net.IPAddress.Loopback, _host.Listeners.ProxyUri!.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{_host.Listeners.ProxyUri!.Port}\r\n{headers}Connection: close\r\n\r\n"));
        using var reader = new StreamReader(stream, Encoding.ASCII);
        var statusLine = await reader.ReadLineAsync() ?? "";
        return int.Parse(statusLine.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    private async Task<Activity> ServerSpanAsync(string path)
    {
        await Eventually.TrueAsync(() => _exported.Any(a => IsServerSpanFor(a, path)), $"the server span of {path}");
        return _exported.Single(a => IsServerSpanFor(a, path));
    }

    // Every host in this process is traced (the upstreams too): the gateway's span is the one on its proxy listener.
    private bool IsServerSpanFor(Activity activity, string path) =>
        activity.Kind == ActivityKind.Server && (activity.GetTagItem("url.path") as string) == path &&
        activity.GetTagItem("server.port") is int port && port == _host.Listeners.ProxyUri!.Port;

    private void AssertNoSpanHolds(string secret)
    {
        foreach (var activity in _exported)
        {
            Assert.DoesNotContain(secret, activity.DisplayName, StringComparison.Ordinal);
            foreach (var tag in activity.TagObjects.Concat(activity.Events.SelectMany(e => e.Tags)))
            {
                Assert.DoesNotContain(secret, tag.Value?.ToString() ?? "", StringComparison.Ordinal);
            }
        }
    }

    private bool ExportedBytesHold(string text)
    {
        var needle = Encoding.UTF8.GetBytes(text);
        return _collector.Received.Where(r => r.Path == "/v1/traces").Any(r => r.Body.AsSpan().IndexOf(needle) >= 0);
    }

    /// <summary>The in-memory exporter's target: a collection the tests read while the exporter adds to it.</summary>
    private sealed class ActivityList(ConcurrentQueue<Activity> queue) : ICollection<Activity>
    {
        public int Count => queue.Count;

        public bool IsReadOnly => false;

        public void Add(Activity item) => queue.Enqueue(item);

        public void Clear() => queue.Clear();

        public bool Contains(Activity item) => queue.Contains(item);

        public void CopyTo(Activity[] array, int arrayIndex) => queue.CopyTo(array, arrayIndex);

        public bool Remove(Activity item) => throw new NotSupportedException();

        public IEnumerator<Activity> GetEnumerator() => queue.GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}

/// <summary>
/// A tracer provider listens to every host and HttpClient in the process, so these tests run alone: no other test's
/// requests gain trace headers while they run, and their spans are the only ones.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TracingCollection
{
    public const string Name = "Tracing";
}
