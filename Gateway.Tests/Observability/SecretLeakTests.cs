using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Tests.Enforcement;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Observability;

/// <summary>
/// Secrets never leak: a realistic run through a real gateway, with every log line of the host captured at Trace
/// (messages, exception texts, structured state and scope values), must hold no key plaintext, no hash of a key,
/// no admin token and no <c>Authorization</c> value; and no refusal echoes the key that was presented.
/// </summary>
public sealed class SecretLeakTests : IAsyncLifetime
{
    private const string UpstreamCredential = "Bearer upstream-credential-LEAKMARK-0001";
    private const string LegacyKey = "legacy-Secret-LEAKMARK-0123456789-ABCDEF";
    private readonly SecretSet _secrets = new();
    private readonly List<string> _proxyBodies = [];
    private RecordingUpstream _upstream = null!;
    private GatewayHost _host = null!;

    public async Task InitializeAsync()
    {
        _upstream = await RecordingUpstream.StartAsync();
        _host = new GatewayHost(GatewayHost.WriteConfig(_upstream.Address), TestStore.Configuration, TestStore.UniquePrefix(),
            new Dictionary<string, string?> { ["Upstreams:serverless:Authorization"] = UpstreamCredential }, logging => logging.AddFakeLoggingAtTrace()).Start();
        _secrets.Add("admin token", GatewayHost.AdminToken);
        _secrets.Add("upstream credential", UpstreamCredential);
        _secrets.Key("legacy key", LegacyKey);
    }

    public async Task DisposeAsync()
    {
        var configPath = _host.ConfigPath;
        await _host.DisposeAsync();
        await _upstream.DisposeAsync();
        File.Delete(configPath);
    }

    [Fact]
    public async Task RealisticRun_NoSecretInAnyLogText_AtTraceLevel_NorInAnyRefusal()
    {
        // Keys created and used every way a client can present one.
        var (full, fullId) = await CreateAsync("full", new { name = "ci", graphql = "readwrite", endpoints = new Dictionary<string, string> { ["*"] = "readwrite" } });
        var (restricted, restrictedId) = await CreateAsync("restricted", new { name = "reader", graphql = "read", endpoints = new Dictionary<string, string> { ["abc123"] = "read" } });
        await ExpectAsync(200, HttpMethod.Get, "/v2/abc123/status", "Bearer " + restricted);
        await ExpectAsync(403, HttpMethod.Post, "/v2/abc123/run", "Bearer " + restricted, "{}");
        await ExpectAsync(200, HttpMethod.Post, "/v2/abc123/run", full, "{\"input\":{}}");
        await ExpectAsync(200, HttpMethod.Post, "/graphql?api_key=" + full, null, "{\"query\":\"mutation { a }\"}");
        await ExpectAsync(200, HttpMethod.Get, "/graphql?query=%7B%20a%20%7D&api_key=" + restricted, null);
        await ExpectAsync(405, HttpMethod.Get, "/graphql?query=mutation%20%7B%20a%20%7D&API_KEY=" + restricted, null);
        await ExpectAsync(403, HttpMethod.Post, "/graphql", "bearer   " + restricted, "{\"query\":\"mutation { a }\"}");
        await ExpectAsync(400, HttpMethod.Post, "/graphql", "Bearer " + restricted, "{\"query\":\"{ a(s: \\\"" + restricted + "\\\" \"}");

        // A legacy key brought in by import, then used by header and by parameter.
        var import = await _host.Admin.PostAsJsonAsync("/admin/keys/legacy", new { keys = new[] { new { key = LegacyKey, name = "old", graphql = "readwrite" } } });
        Assert.Equal(200, (int)import.StatusCode);
        await ExpectAsync(200, HttpMethod.Delete, "/v2/xyz/cancel/job-1", "Bearer " + LegacyKey);
        await ExpectAsync(200, HttpMethod.Post, "/graphql?api_key=" + LegacyKey, null, "{\"query\":\"{ a }\"}");

        // Bad keys, each holding a marker: malformed, a bad checksum, well formed but unknown, two keys at once.
        var invented = BypassFixture.InventedRpaKey();
        foreach (var (authorization, query, status) in new (string?, string, int)[]
        {
            ("Bearer rpa_LEAKMARKbadchecksum0123456789abcdef", "", 401),
            ("Bearer " + BypassFixture.WithBadChecksum(full), "", 401),
            ("Bearer " + invented, "", 401),
            ("Bearer unknown-legacy-LEAKMARK-0123456789", "", 401),
            ("Bearer not a key LEAKMARK", "", 401),
            (null, "?api_key=short-LEAKMARK", 401),
            ("Bearer " + full, "?api_key=" + restricted, 400),
        })
        {
            _secrets.Key("presented key", (authorization ?? query)[(authorization is null ? "?api_key=".Length : "Bearer ".Length)..]);
            await ExpectAsync(status, HttpMethod.Post, "/v2/abc123/run" + query, authorization, "{}");
        }

        // Requests Kestrel itself refuses, whose request line holds a key: its error texts quote the line.
        foreach (var target in new[] { "/v2/abc%00/run?api_key=" + restricted, "/v2/abc123/run?api_key=" + restricted + " extra" })
        {
            var raw = await RawHttp.SendAsync(_host.Listeners.ProxyUri!, "GET", target, []);
            Assert.Equal(400, raw.Status);
            AssertNoEcho(raw.Body.Length == 0 ? "{\"detail\":\"\"}" : raw.Body, "a request Kestrel refused");
        }

        foreach (var header in new[] { "Authorization: Bearer " + restricted + "\u0001", "Authorization Bearer " + restricted, "X-Api-Key\u0001: " + restricted })
        {
            var raw = await RawHttp.SendAsync(_host.Listeners.ProxyUri!, "GET", "/v2/abc123/status", [header]);
            Assert.True(raw.Status is 400 or 401, raw.ToString());
        }

        // Admin calls with the token, and with wrong ones.
        Assert.Equal(200, (int)(await _host.Admin.GetAsync("/admin/keys")).StatusCode);
        Assert.Equal(200, (int)(await _host.Admin.GetAsync("/admin/keys/" + restrictedId)).StatusCode);
        Assert.Equal(200, (int)(await _host.Admin.PatchAsJsonAsync("/admin/keys/" + restrictedId, new { enabled = false })).StatusCode);
        await ExpectAsync(403, HttpMethod.Get, "/v2/abc123/status", "Bearer " + restricted);
        Assert.Equal(200, (int)(await _host.Admin.PatchAsJsonAsync("/admin/keys/" + restrictedId, new { enabled = true, name = "reader 2" })).StatusCode);
        await Eventually.TrueAsync(async () => (await _host.Admin.GetStringAsync($"/admin/keys/{fullId}/usage?days=1")).Contains("allowed", StringComparison.Ordinal), "usage to be flushed");
        Assert.Equal(204, (int)(await _host.Admin.DeleteAsync("/admin/keys/" + fullId)).StatusCode);
        await ExpectAsync(401, HttpMethod.Post, "/v2/abc123/run", "Bearer " + full, "{}");
        foreach (var wrong in new[] { "Bearer wrong-admin-LEAKMARK-token", "Bearer " + restricted, "Bearer " + GatewayHost.AdminToken + "x" })
        {
            _secrets.Add("wrong admin credential", wrong);
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_host.Listeners.AdminUri!, "/admin/keys"));
            request.Headers.TryAddWithoutValidation("Authorization", wrong);
            using var client = new HttpClient();
            var answer = await client.SendAsync(request);
            Assert.Equal(401, (int)answer.StatusCode);
            AssertNoEcho(await answer.Content.ReadAsStringAsync(), "admin 401");
        }

        // Admin refusals that carry keys: an all-or-nothing import with a bad entry, and an rpa_ key offered as legacy.
        foreach (var entries in new object[]
        {
            new[] { new { key = "another-legacy-LEAKMARK-0123456789", name = "x", graphql = "readwrite" }, new { key = "third-legacy-LEAKMARK-0123456789", name = "y", graphql = "none" } },
            new[] { new { key = restricted, name = "x", graphql = "read" } },
        })
        {
            var refused = await _host.Admin.PostAsJsonAsync("/admin/keys/legacy", new { keys = entries });
            Assert.Equal(400, (int)refused.StatusCode);
            AssertNoEcho(await refused.Content.ReadAsStringAsync(), "legacy import refusal");
        }

        _secrets.Key("refused legacy key", "another-legacy-LEAKMARK-0123456789");
        _secrets.Key("refused legacy key", "third-legacy-LEAKMARK-0123456789");
        AssertNoLeak();
    }

    private async Task<(string Key, string Id)> CreateAsync(string what, object body)
    {
        var (key, id) = await _host.CreateKeyAsync(body);
        _secrets.Key(what + " key", key);
        return (key, id);
    }

    /// <summary>Sends through the proxy listener; the status must be <paramref name="status"/> and no refusal may echo a key.</summary>
    private async Task ExpectAsync(int status, HttpMethod method, string target, string? authorization, string? json = null)
    {
        using var request = new HttpRequestMessage(method, target);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        using var response = await _host.Proxy.SendAsync(request);
        var answer = await ProxyResponse.FromAsync(response);
        Assert.True(status == answer.Status, $"{method} {target}: expected {status}, got {answer}");
        if (answer.IsProblem)
        {
            answer.AssertProblemShape($"{method} {target}");
            _proxyBodies.Add(answer.Body);
            AssertNoEcho(answer.Body, $"{method} {target}");
        }
    }

    private void AssertNoEcho(string body, string where)
    {
        Assert.DoesNotContain("LEAKMARK", body, StringComparison.Ordinal);
        var found = _secrets.FoundIn([body], where);
        Assert.True(found.Count == 0, string.Join("\n", found));
        Assert.NotNull(JsonNode.Parse(body)?["detail"]);
    }

    private void AssertNoLeak()
    {
        var log = _host.FakeLog();
        var texts = log.AllTexts();
        // Not vacuous: the host really logged at every level, request lines included.
        Assert.True(log.Count > 200, $"only {log.Count} log entries were captured");
        Assert.Contains(log.GetSnapshot(), record => record.Level <= LogLevel.Debug);
        Assert.Contains(texts, text => text.Contains("Request starting", StringComparison.Ordinal));

        var found = _secrets.FoundIn(texts, "the log").Concat(_secrets.FoundIn(_proxyBodies, "a refusal"))
            .Concat(texts.Where(text => text.Contains("LEAKMARK", StringComparison.Ordinal)).Select(text => "a marked credential in the log: " + text))
            .Distinct().ToList();
        Assert.True(found.Count == 0, $"{found.Count} leaks in {log.Count} log entries:\n" + string.Join("\n", found.Take(200)));
    }
}
