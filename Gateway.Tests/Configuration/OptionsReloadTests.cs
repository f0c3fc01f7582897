using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Abuse;
using Gateway.Audit;
using Gateway.Caching;
using Gateway.Configuration;
using Gateway.Enforcement;
using Gateway.Store;
using Gateway.Tests.Caching;
using Gateway.Tests.Enforcement;
using Gateway.Tests.Infrastructure;
using Gateway.Usage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Configuration;

/// <summary>
/// A config reload with an invalid value in any section is refused as a whole: every option keeps its last valid
/// value, the refusal is logged, requests never fail because of it, and a later valid edit applies (README: "The key cache").
/// </summary>
public sealed class OptionsReloadTests : IAsyncLifetime
{
    private const int BodyLimit = 4096;
    private RecordingUpstream _upstream = null!;
    private GatewayHost _host = null!;
    private string _key = null!;

    public async Task InitializeAsync()
    {
        _upstream = await RecordingUpstream.StartAsync();
        _host = new GatewayHost(GatewayHost.WriteConfig(_upstream.Address, config => Edit(config, _ => { })), TestStore.Configuration, TestStore.UniquePrefix(),
            configureLogging: logging => logging.AddFakeLogging()).Start();
        (_key, _) = await _host.CreateKeyAsync(new { name = "reload", graphql = "read", endpoints = new Dictionary<string, string> { ["*"] = "read" } });
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    [Fact]
    public async Task NegativeGraphQLBodyLimit_IsRefusedAsAWhole_RequestsKeepBeingServed_AndALaterValidEditApplies()
    {
        Assert.Equal(HttpStatusCode.OK, await GraphQLStatusAsync(BodyLimit));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, await GraphQLStatusAsync(BodyLimit + 1));

        // The bad value comes with valid edits of two other sections: a new route, and an upstream credential.
        Rewrite(config =>
        {
            config["KeyScopes"]!["MaxGraphQLBodyBytes"] = -5;
            config["Upstreams"] = new JsonObject { ["graphql"] = new JsonObject { ["Authorization"] = "Bearer from-the-bad-edit" } };
            StartupFailure.Routes(config)["open"] = StartupFailure.Route("/open/{**rest}", "Public");
        });

        await Eventually.TrueAsync(() => _host.FakeLog().Logged("MaxGraphQLBodyBytes"), "the refused reload to be logged naming the value");
        Assert.Contains("refused", _host.FakeLog().Lines(), StringComparison.Ordinal);
        await ObserveForASecondAsync(async () =>
        {
            Assert.Equal(HttpStatusCode.OK, await GraphQLStatusAsync(BodyLimit));
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, await GraphQLStatusAsync(BodyLimit + 1));
            Assert.Equal(HttpStatusCode.NotFound, await OpenRouteStatusAsync());
        });
        Assert.DoesNotContain(_upstream.Received, seen => seen.Header("Authorization") == "Bearer from-the-bad-edit");

        Rewrite(config =>
        {
            config["KeyScopes"]!["MaxGraphQLBodyBytes"] = 2 * BodyLimit;
            StartupFailure.Routes(config)["open"] = StartupFailure.Route("/open/{**rest}", "Public");
        });
        await Eventually.TrueAsync(async () => await GraphQLStatusAsync(BodyLimit + 1) == HttpStatusCode.OK, "the valid edit's body limit to apply");
        Assert.Equal(HttpStatusCode.OK, await OpenRouteStatusAsync());
    }

    [Theory]
    [InlineData("Cache", "L1Ttl", "00:00:00", "00:00:20")]
    [InlineData("Cache", "L1MaxEntries", "many", "5000")]
    [InlineData("Usage", "FlushInterval", "-00:00:01", "00:00:02")]
    [InlineData("Abuse", "Window", "00:00:00", "00:02:00")]
    [InlineData("Audit", "MaxEntries", "1", "5000")]
    [InlineData("KeyScopes", "MaxGraphQLDepth", "61", "12")]
    [InlineData("KeyScopes", "GraphQLBodyTimeout", "00:00:00", "00:00:07")]
    [InlineData("KeyScopes", "MaxBufferedGraphQLBytes", "100", "9999999")]
    public async Task BadValue_InAnySection_KeepsEveryOptionAtItsLastValidValue_AndAValidEditApplies(string section, string name, string bad, string good)
    {
        var before = Snapshot();

        Rewrite(config => config[section] = new JsonObject { [name] = bad });
        await Eventually.TrueAsync(() => _host.FakeLog().Logged(name), $"the refused reload to be logged naming {name}");
        Assert.Equal(before, Snapshot());
        Assert.True(await CacheProbe.PassesAsync(_host, _key), _host.FakeLog().Lines());
        Assert.Equal(HttpStatusCode.OK, await GraphQLStatusAsync(100));

        Rewrite(config => config[section] = new JsonObject { [name] = good });
        await Eventually.TrueAsync(() => Snapshot() != before, $"the valid {section}:{name} to apply");
        Assert.Contains($"{name}={good}", Snapshot(), StringComparison.Ordinal);
        Assert.True(await CacheProbe.PassesAsync(_host, _key), _host.FakeLog().Lines());
    }

    // Every option of every section, as the running gateway sees it now.
    private string Snapshot()
    {
        var text = new StringBuilder();
        Append<CacheOptions>(text);
        Append<UsageOptions>(text);
        Append<AbuseOptions>(text);
        Append<AuditOptions>(text);
        Append<KeyScopesOptions>(text);
        Append<RedisOptions>(text);
        Append<StoreOptions>(text);
        return text.ToString();
    }

    private void Append<T>(StringBuilder text)
    {
        var value = _host.Services.GetRequiredService<IOptionsMonitor<T>>().CurrentValue!;
        foreach (var property in typeof(T).GetProperties().Where(p => p.PropertyType.IsPrimitive || p.PropertyType == typeof(TimeSpan) || p.PropertyType == typeof(string)))
        {
            var shown = property.GetValue(value) is TimeSpan span ? span.ToString("c", System.Globalization.CultureInfo.InvariantCulture) : property.GetValue(value)?.ToString();
            text.Append(typeof(T).Name).Append('.').Append(property.Name).Append('=').Append(shown).Append('\n');
        }
    }

    private static void Edit(JsonObject config, Action<JsonObject> more)
    {
        config["KeyScopes"] = new JsonObject { ["MaxGraphQLBodyBytes"] = BodyLimit };
        more(config);
    }

    private void Rewrite(Action<JsonObject> edit)
    {
        var config = GatewayHost.StandardConfig(_upstream.Address);
        Edit(config, edit);
        // A rename, so the watcher never reads a half-written file.
        var temporary = _host.ConfigPath + "." + Guid.NewGuid().ToString("N") + ".tmp";
        File.WriteAllText(temporary, config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        File.Move(temporary, _host.ConfigPath, overwrite: true);
    }

    private async Task<HttpStatusCode> GraphQLStatusAsync(int size)
    {
        using var response = await GraphQLBodies.PostAsync(_host, _key, GraphQLBodies.Padded(size));
        return response.StatusCode;
    }

    private async Task<HttpStatusCode> OpenRouteStatusAsync()
    {
        using var response = await _host.Proxy.GetAsync("/open/hello");
        return response.StatusCode;
    }

    private static async Task ObserveForASecondAsync(Func<Task> assertions)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await Eventually.TrueAsync(async () =>
        {
            await assertions();
            return clock.Elapsed > TimeSpan.FromSeconds(1);
        }, "a second of observation");
    }
}
