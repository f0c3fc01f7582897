using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Gateway.Tests.Caching;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Observability;

/// <summary>
/// The per-request counters as a scraper sees them on the admin listener's <c>/metrics</c> (README "Observability"):
/// no series before anything was counted, then one series per tag set counted, with its count.
/// </summary>
public sealed class MetricsEndpointTests(GatewayTest.Parts parts) : GatewayTest(parts)
{
    // A fresh host per test: its counts start at nothing.
    protected override bool PartsPerTest => true;

    private static readonly string[] RequestCounters =
        ["gateway_requests_total", "gateway_key_cache_lookups_total", "gateway_graphql_document_cache_lookups_total"];

    [Fact]
    public async Task RequestCounters_ShowEachCountedSeries_WithItsCount_AndNoneBefore()
    {
        var (key, _) = await Host.CreateKeyAsync(new
        {
            name = "metrics",
            graphql = "read",
            endpoints = new Dictionary<string, string> { ["ep1"] = "read" },
        });

        var before = await Host.Admin.GetStringAsync("/metrics");
        Assert.All(RequestCounters, name => Assert.DoesNotContain(name, before, StringComparison.Ordinal));

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await CacheProbe.SendAsync(Host, key, HttpMethod.Get, "/v2/ep1/status/job")).Status);
        }

        using (var missing = await Host.Proxy.GetAsync("/v2/ep1/status/job"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        }

        Assert.Equal("scope_denied", (await CacheProbe.SendAsync(Host, key, HttpMethod.Post, "/v2/ep1/run")).Code);
        Assert.Equal("scope_denied", (await CacheProbe.SendAsync(Host, key, HttpMethod.Get, "/v2/ep2/status/job")).Code);
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(HttpStatusCode.OK, await GraphQLAsync(key, "{ pods { id } }"));
        }

        // The exporter may answer a scrape from its short response cache: poll until a scrape postdates the requests.
        Dictionary<string, Dictionary<string, long>> after = null!;
        await Eventually.TrueAsync(async () =>
        {
            after = Parse(await Host.Admin.GetStringAsync("/metrics"));
            return after["gateway_requests_total"].Values.Sum() >= 8;
        }, "a scrape that shows the eight requests");

        Assert.Equal(
            new Dictionary<string, long>
            {
                ["code=ok,decision=allowed"] = 5,
                ["code=missing_key,decision=refused"] = 1,
                ["code=scope_denied,decision=refused"] = 2,
            },
            after["gateway_requests_total"]);
        Assert.Equal(
            new Dictionary<string, long> { ["result=miss"] = 1, ["result=hit"] = 1 },
            after["gateway_graphql_document_cache_lookups_total"]);

        // Seven requests carried the key. The first missed L1 and read it from the store; the other six were served from
        // memory (a created key is not announced over pub/sub, so nothing drops the entry in between).
        Assert.Equal(
            new Dictionary<string, long>
            {
                ["result=hit,tier=l1"] = 6,
                ["result=miss,tier=l1"] = 1,
                ["result=hit,tier=l2"] = 1,
            },
            after["gateway_key_cache_lookups_total"]);
        Assert.Equal(5, Upstream.Count);
    }

    private async Task<HttpStatusCode> GraphQLAsync(string key, string document)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql")
        {
            Content = new StringContent(document, Encoding.UTF8, "application/graphql"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await Host.Proxy.SendAsync(request);
        return response.StatusCode;
    }

    /// <summary>
    /// The series of the three request counters in the Prometheus text: metric name, then labels (sorted, without the
    /// scope label every series carries) to value.
    /// </summary>
    private static Dictionary<string, Dictionary<string, long>> Parse(string text)
    {
        var found = RequestCounters.ToDictionary(name => name, _ => new Dictionary<string, long>());
        foreach (var line in text.Split('\n'))
        {
            var brace = line.IndexOf('{', StringComparison.Ordinal);
            if (brace < 0 || !found.TryGetValue(line[..brace], out var series))
            {
                continue;
            }

            var close = line.IndexOf('}', StringComparison.Ordinal);
            var labels = line[(brace + 1)..close].Split(',')
                .Select(pair => pair.Split('=', 2))
                .Where(pair => pair[0] != "otel_scope_name")
                .Select(pair => pair[0] + "=" + pair[1].Trim('"'))
                .Order(StringComparer.Ordinal);
            series.Add(string.Join(",", labels), long.Parse(line[(close + 1)..].Trim(), System.Globalization.CultureInfo.InvariantCulture));
        }

        return found;
    }
}
