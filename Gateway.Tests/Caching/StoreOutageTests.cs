using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Gateway.Keys;
using Gateway.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Gateway.Tests.Caching;

/// <summary>
/// Redis goes away and comes back (README: "The key cache"): keys in memory keep working, any other key is 503 and never a
/// pass, admin writes are 503, <c>/readyz</c> says so, and service resumes by itself. Each test has its own store.
/// </summary>
public sealed class StoreOutageTests(GatewayTest.Parts parts, ITestOutputHelper output) : GatewayTest(parts)
{
    // Each test stops and restarts the store, and opens the read circuit.
    protected override bool PartsPerTest => true;


    protected override bool OwnStore => true;

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Cache:StoreTimeout"] = "00:00:00.300" };


    [Fact]
    public async Task WhileStoreIsDown_KeysInMemoryPass_OthersAre503_AdminWritesAre503()
    {
        var (cached, cachedId) = await Host.CreateKeyAsync(CacheProbe.EveryEndpoint("outage-cached"));
        Assert.True(await CacheProbe.PassesAsync(Host, cached));

        await Store.StopAsync();

        Assert.True(await CacheProbe.PassesAsync(Host, cached));
        Assert.True(await CacheProbe.PassesAsync(Host, cached, HttpMethod.Post));

        // Each of these waits out a store timeout; run together they cost one.
        await Task.WhenAll(
            AssertUnknownKeyIs503Async(KeyFormat.Generate()),
            AssertUnknownKeyIs503Async(CacheProbe.NewLegacyToken()),
            AssertStatusAsync(Host.Admin.GetAsync("/readyz"), HttpStatusCode.ServiceUnavailable),
            AssertStatusAsync(Host.Admin.GetAsync("/healthz"), HttpStatusCode.OK),
            AssertStoreUnavailableAsync(Host.Admin.PostAsJsonAsync("/admin/keys", CacheProbe.EveryEndpoint("during-outage"))),
            AssertStoreUnavailableAsync(CacheProbe.PatchAsync(Host, cachedId, new { enabled = false })),
            AssertStoreUnavailableAsync(Host.Admin.DeleteAsync($"/admin/keys/{cachedId}")),
            AssertStoreUnavailableAsync(CacheProbe.ImportLegacyAsync(Host, CacheProbe.NewLegacyToken())));

        // A mistyped key needs no store to be refused.
        Assert.Equal("invalid_key", (await CacheProbe.SendAsync(Host, cached[..^1] + (cached[^1] == 'A' ? 'B' : 'A'))).Code);

        // The refused writes changed nothing this instance knows.
        Assert.True(await CacheProbe.PassesAsync(Host, cached));
    }

    [Fact]
    public async Task AfterStoreReturns_ServiceResumesByItself()
    {
        await Store.StopAsync();
        Assert.Equal("store_unavailable", (await CacheProbe.SendAsync(Host, KeyFormat.Generate())).Code);
        await AssertStatusAsync(Host.Admin.GetAsync("/readyz"), HttpStatusCode.ServiceUnavailable);

        await Store.StartAsync();
        var clock = System.Diagnostics.Stopwatch.StartNew();

        await Eventually.TrueAsync(async () => await StatusAsync(Host.Admin.GetAsync("/readyz")) == HttpStatusCode.OK,
            "/readyz to report the store again", TimeSpan.FromSeconds(30));
        string? fresh = null;
        await Eventually.TrueAsync(async () =>
        {
            fresh ??= await TryCreateAsync();
            return fresh is not null && await CacheProbe.PassesAsync(Host, fresh);
        }, "a key created after the restart to pass", TimeSpan.FromSeconds(30));
        output.WriteLine($"recovered {clock.Elapsed.TotalMilliseconds:0} ms after the store restarted");

        Assert.Equal("invalid_key", (await CacheProbe.SendAsync(Host, KeyFormat.Generate())).Code);
    }

    private async Task<string?> TryCreateAsync()
    {
        using var response = await Host.Admin.PostAsJsonAsync("/admin/keys", CacheProbe.EveryEndpoint("after-restart"));
        return response.StatusCode == HttpStatusCode.Created
            ? (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync())?["key"]
            : null;
    }

    private async Task AssertUnknownKeyIs503Async(string unknown)
    {
        var answer = await CacheProbe.SendAsync(Host, unknown);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.Status);
        Assert.Equal("store_unavailable", answer.Code);
        Assert.True(int.TryParse(answer.RetryAfter, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds >= 1,
            $"Retry-After '{answer.RetryAfter}' is not a whole number of seconds");
    }

    private static async Task<HttpStatusCode> StatusAsync(Task<HttpResponseMessage> call)
    {
        using var response = await call;
        return response.StatusCode;
    }

    private static async Task AssertStatusAsync(Task<HttpResponseMessage> call, HttpStatusCode expected) =>
        Assert.Equal(expected, await StatusAsync(call));

    private static async Task AssertStoreUnavailableAsync(Task<HttpResponseMessage> call)
    {
        using var response = await call;
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)response.StatusCode} {body}");
        Assert.Equal("store_unavailable", (string?)JsonNode.Parse(body)?["code"]);
    }
}
