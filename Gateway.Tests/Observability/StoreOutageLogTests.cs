using System.Net.Http.Json;
using Gateway.Keys;
using Gateway.Tests.Caching;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Observability;

/// <summary>
/// The warnings a store outage causes (a key served from its last known state, unknown keys refused, admin writes
/// refused, flushes failing) carry the store client's own error texts, which name the Redis keys they were reading:
/// those must not carry a key or its hash. Every log line of the host is captured at Trace.
/// </summary>
public sealed class StoreOutageLogTests(GatewayTest.Parts parts) : GatewayTest(parts)
{
    private readonly SecretSet _secrets = new();

    protected override bool OwnStore => true;

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Cache:StoreTimeout"] = "00:00:00.300",
        // A short freshness, so a cached key soon needs the store and is served stale (warning 200).
        ["Cache:L1Ttl"] = "00:00:00.200",
    };

    protected override void ConfigureLogging(Microsoft.Extensions.Logging.ILoggingBuilder logging) => logging.AddFakeLoggingAtTrace();


    [Fact]
    public async Task OutageWarnings_NameNoKeyNorItsHash()
    {
        _secrets.Add("admin token", GatewayHost.AdminToken);
        var (cached, _) = await Host.CreateKeyAsync(CacheProbe.EveryEndpoint("outage-log"));
        _secrets.Key("cached key", cached);
        Assert.True(await CacheProbe.PassesAsync(Host, cached));

        await Store.StopAsync();

        var unknownRpa = KeyFormat.Generate();
        var unknownLegacy = CacheProbe.NewLegacyToken();
        _secrets.Key("unknown key", unknownRpa);
        _secrets.Key("unknown legacy key", unknownLegacy);
        Assert.Equal("store_unavailable", (await CacheProbe.SendAsync(Host, unknownRpa)).Code);
        Assert.Equal("store_unavailable", (await CacheProbe.SendAsync(Host, unknownLegacy)).Code);
        using var create = await Host.Admin.PostAsJsonAsync("/admin/keys", CacheProbe.EveryEndpoint("during-outage"));
        Assert.Equal(503, (int)create.StatusCode);
        using var import = await CacheProbe.ImportLegacyAsync(Host, unknownLegacy);
        Assert.Equal(503, (int)import.StatusCode);

        // Once its freshness is past, the cached key is served from its last known state, with a warning.
        await Eventually.TrueAsync(async () =>
        {
            Assert.True(await CacheProbe.PassesAsync(Host, cached));
            return Host.FakeLog().Logged("serving key");
        }, "the stale-if-error warning");

        var texts = Host.FakeLog().AllTexts();
        Assert.Contains(texts, text => text.Contains("Store unreachable", StringComparison.Ordinal));
        var found = _secrets.FoundIn(texts, "the log");
        Assert.True(found.Count == 0, $"{found.Count} leaks in {Host.FakeLog().Count} log entries:\n" + string.Join("\n", found.Take(30)));

        // With the store back, the host's shutdown flush of the usage counted above does not wait out its timeout.
        await Store.StartAsync();
    }
}
