using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using Gateway.Observability;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Hosting;

namespace Gateway.Tests.Caching;

/// <summary>What the proxy answered: the status, the problem code of a refusal, and its <c>Retry-After</c>.</summary>
internal sealed record ProxyAnswer(HttpStatusCode Status, string? Code, string? RetryAfter);

/// <summary>Requests through a host's proxy listener, and the host's count of hot-path store reads.</summary>
internal static class CacheProbe
{
    public const string EndpointPath = "/v2/ep1/status";

    public static object EveryEndpoint(string name) =>
        new { name, endpoints = new Dictionary<string, string> { ["*"] = "readwrite" } };

    private static readonly ConditionalWeakTable<GatewayHost, CounterReader> s_keyLookups = new();

    /// <summary>
    /// Store reads made for presented keys, as the gateway reports them: <c>gateway.key_cache.lookups</c> with tier
    /// <c>l2</c> (any result), one per single-flight read. Counted from the first call for a host on, so compare two
    /// calls; the reader ends when the host stops.
    /// </summary>
    public static long StoreReads(GatewayHost host) =>
        s_keyLookups.GetValue(host, static h =>
        {
            var reader = new CounterReader(h.Services.GetRequiredService<IMeterFactory>(), "gateway.key_cache.lookups");
            h.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopped.Register(reader.Dispose);
            return reader;
        }).Count(("tier", "l2"));

    private static readonly ConditionalWeakTable<GatewayHost, MetricCollector<long>> s_refreshes = new();

    /// <summary>Refresh-ahead checks the host made (<c>gateway.key_cache.refreshes</c>) with this result, counted as <see cref="StoreReads"/> is.</summary>
    public static long Refreshes(GatewayHost host, string result) =>
        s_refreshes.GetValue(host, static h =>
        {
            var collector = new MetricCollector<long>(h.Services.GetRequiredService<IMeterFactory>(), GatewayMetrics.MeterName, "gateway.key_cache.refreshes");
            h.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopped.Register(collector.Dispose);
            return collector;
        }).GetMeasurementSnapshot().Count(m => m.Tags.TryGetValue("result", out var r) && (string?)r == result);

    public static async Task<ProxyAnswer> SendAsync(GatewayHost host, string key, HttpMethod? method = null, string path = EndpointPath)
    {
        using var request = new HttpRequestMessage(method ?? HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await host.Proxy.SendAsync(request);
        string? code = null;
        if (response.Content.Headers.ContentType?.MediaType == "application/problem+json")
        {
            code = (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync())?["code"];
        }

        var retryAfter = response.Headers.TryGetValues("Retry-After", out var values) ? string.Join(",", values) : null;
        return new ProxyAnswer(response.StatusCode, code, retryAfter);
    }

    public static async Task<bool> PassesAsync(GatewayHost host, string key, HttpMethod? method = null) =>
        (await SendAsync(host, key, method)).Status == HttpStatusCode.OK;

    public static async Task<bool> RefusedAsync(GatewayHost host, string key, string code, HttpMethod? method = null) =>
        (await SendAsync(host, key, method)).Code == code;

    public static Task<HttpResponseMessage> PatchAsync(GatewayHost host, string id, object body) =>
        host.Admin.PatchAsync($"/admin/keys/{id}", JsonContent(body));

    public static Task<HttpResponseMessage> ImportLegacyAsync(GatewayHost host, string legacyKey, string graphql = "read") =>
        host.Admin.PostAsync("/admin/keys/legacy", JsonContent(new { keys = new[] { new { key = legacyKey, name = "legacy", graphql } } }));

    /// <summary>A token of the legacy form (16 to 256 printable characters, not <c>rpa_</c>) that no store holds yet.</summary>
    public static string NewLegacyToken() => "legacy-" + Guid.NewGuid().ToString("N");

    private static StringContent JsonContent(object body) =>
        new(System.Text.Json.JsonSerializer.Serialize(body), System.Text.Encoding.UTF8, "application/json");
}
