using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Gateway.Keys;
using Gateway.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Gateway.Tests.Caching;

/// <summary>
/// Redis goes away and comes back (contract §7): keys in memory keep working, any other key is 503 and never a
/// pass, admin writes are 503, <c>/readyz</c> says so, and service resumes by itself. Each test has its own store.
/// </summary>
public sealed class StoreOutageTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly RestartableStore _store = new();
    private RecordingUpstream _upstream = null!;
    private GatewayHost _host = null!;

    public async Task InitializeAsync()
    {
        try
        {
            await _store.StartAsync();
            _upstream = await RecordingUpstream.StartAsync();
            _host = new GatewayHost(GatewayHost.WriteConfig(_upstream.Address), _store.Configuration, TestStore.UniquePrefix(),
                new Dictionary<string, string?> { ["Cache:StoreTimeout"] = "00:00:00.300" }).Start();
        }
        catch
        {
            // xunit does not call DisposeAsync when InitializeAsync throws; the store process must not outlive the run.
            await DisposeAsync();
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        // The store is a process: it is stopped even when the set-up failed half way.
        try
        {
            if (_host is not null)
            {
                await _host.DisposeAsync();
            }

            if (_upstream is not null)
            {
                await _upstream.DisposeAsync();
            }
        }
        finally
        {
            await _store.DisposeAsync();
        }
    }

    [Fact]
    public async Task WhileStoreIsDown_KeysInMemoryPass_OthersAre503_AdminWritesAre503()
    {
        var (cached, cachedId) = await _host.CreateKeyAsync(CacheProbe.EveryEndpoint("outage-cached"));
        Assert.True(await CacheProbe.PassesAsync(_host, cached));

        await _store.StopAsync();

        Assert.True(await CacheProbe.PassesAsync(_host, cached));
        Assert.True(await CacheProbe.PassesAsync(_host, cached, HttpMethod.Post));

        // Each of these waits out a store timeout; run together they cost one.
        await Task.WhenAll(
            AssertUnknownKeyIs503Async(KeyFormat.Generate()),
            AssertUnknownKeyIs503Async(CacheProbe.NewLegacyToken()),
            AssertStatusAsync(_host.Admin.GetAsync("/readyz"), HttpStatusCode.ServiceUnavailable),
            AssertStatusAsync(_host.Admin.GetAsync("/healthz"), HttpStatusCode.OK),
            AssertStoreUnavailableAsync(_host.Admin.PostAsJsonAsync("/admin/keys", CacheProbe.EveryEndpoint("during-outage"))),
            AssertStoreUnavailableAsync(CacheProbe.PatchAsync(_host, cachedId, new { enabled = false })),
            AssertStoreUnavailableAsync(_host.Admin.DeleteAsync($"/admin/keys/{cachedId}")),
            AssertStoreUnavailableAsync(CacheProbe.ImportLegacyAsync(_host, CacheProbe.NewLegacyToken())));

        // A mistyped key needs no store to be refused.
        Assert.Equal("invalid_key", (await CacheProbe.SendAsync(_host, cached[..^1] + (cached[^1] == 'A' ? 'B' : 'A'))).Code);

        // The refused writes changed nothing this instance knows.
        Assert.True(await CacheProbe.PassesAsync(_host, cached));
    }

    [Fact]
    public async Task AfterStoreReturns_ServiceResumesByItself()
    {
        await _store.StopAsync();
        Assert.Equal("store_unavailable", (await CacheProbe.SendAsync(_host, KeyFormat.Generate())).Code);
        await AssertStatusAsync(_host.Admin.GetAsync("/readyz"), HttpStatusCode.ServiceUnavailable);

        await _store.StartAsync();
        var clock = System.Diagnostics.Stopwatch.StartNew();

        await Eventually.TrueAsync(async () => await StatusAsync(_host.Admin.GetAsync("/readyz")) == HttpStatusCode.OK,
            "/readyz to report the store again", TimeSpan.FromSeconds(30));
        string? fresh = null;
        await Eventually.TrueAsync(async () =>
        {
            fresh ??= await TryCreateAsync();
            return fresh is not null && await CacheProbe.PassesAsync(_host, fresh);
        }, "a key created after the restart to pass", TimeSpan.FromSeconds(30));
        output.WriteLine($"recovered {clock.Elapsed.TotalMilliseconds:0} ms after the store restarted");

        Assert.Equal("invalid_key", (await CacheProbe.SendAsync(_host, KeyFormat.Generate())).Code);
    }

    private async Task<string?> TryCreateAsync()
    {
        using var response = await _host.Admin.PostAsJsonAsync("/admin/keys", CacheProbe.EveryEndpoint("after-restart"));
        return response.StatusCode == HttpStatusCode.Created
            ? (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync())?["key"]
            : null;
    }

    private async Task AssertUnknownKeyIs503Async(string unknown)
    {
        var answer = await CacheProbe.SendAsync(_host, unknown);
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
