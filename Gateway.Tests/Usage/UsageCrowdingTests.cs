using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Gateway.Tests.Usage;

/// <summary>
/// Usage counting under attack (issue 15): one key spraying distinct endpoint ids through two instances cannot crowd out
/// other keys' counts, and its own counts stay whole: at most Usage:MaxTargetsPerKey targets, the rest in <c>other</c>.
/// </summary>
public sealed class UsageCrowdingTests(ITestOutputHelper output) : UsageInstancesTest
{
    private const int Cap = 1000;
    private const int Sprayed = 10_000;
    private const int Known = 2_000;
    private const int SprayerOwn = 200;
    private const int Workers = 32;
    private readonly List<CounterProbe> _probes = [];


    public override async Task DisposeAsync()
    {
        _probes.ForEach(p => p.Dispose());
        await base.DisposeAsync();
    }

    [Fact]
    public async Task SprayOf10000EndpointIds_ThroughTwoInstances_OtherKeysExact_SprayerHoldsCapTargetsAndOtherTheRest()
    {
        var a = StartHost();
        var sprayer = await a.CreateKeyAsync(new { name = "sprayer", endpoints = new Dictionary<string, string> { ["ep-0"] = "read" } });
        var k1 = await a.CreateKeyAsync(new
        {
            name = "k1",
            graphql = "read",
            endpoints = new Dictionary<string, string> { ["ep-a"] = "readwrite", ["ep-b"] = "read" },
        });
        var k2 = await a.CreateKeyAsync(new { name = "k2", endpoints = new Dictionary<string, string> { ["*"] = "read" } });
        var b = StartHost();
        var dropped = Hosts.Select(h => Probe(h, "gateway.usage.dropped")).ToArray();
        var toOther = Hosts.Select(h => Probe(h, "gateway.usage.to_other")).ToArray();

        // The sprayer's own endpoint is counted on both instances and in Redis before the spray: it must stay separate.
        var own = Shot.Endpoint(sprayer.Key, sprayer.Id, HttpMethod.Get, "ep-0", 200);
        var sprayerTally = new UsageTally();
        await Traffic.SendAsync(a.Proxy, own, sprayerTally);
        await Traffic.SendAsync(b.Proxy, own, sprayerTally);
        await Eventually.TrueAsync(async () => (await Redis.CountsAsync(sprayer.Id, sprayerTally.Days)).GetValueOrDefault("endpoint:ep-0:allowed") == 2, "the sprayer's own endpoint to reach Redis");

        const string Query = "query { myself { id } }";
        Shot[] mix =
        [
            Shot.Endpoint(k1.Key, k1.Id, HttpMethod.Post, "ep-a", 200),
            Shot.Endpoint(k1.Key, k1.Id, HttpMethod.Post, "ep-b", 403, "scope_denied"),
            Shot.GraphQLPost(k1.Key, k1.Id, Query, 200),
            Shot.Endpoint(k2.Key, k2.Id, HttpMethod.Get, "ep-a", 200),
            Shot.Endpoint(k2.Key, k2.Id, HttpMethod.Post, "ep-d", 403, "scope_denied"),
        ];
        var shots = Enumerable.Range(0, Sprayed).Select(i => Shot.Endpoint(sprayer.Key, sprayer.Id, HttpMethod.Get, "x" + i, 403, "scope_denied"))
            .Concat(Enumerable.Range(0, Known).Select(i => mix[i % mix.Length]))
            .Concat(Enumerable.Repeat(own, SprayerOwn))
            .ToArray();
        // A fixed shuffle: the known keys' traffic is spread through the spray, not before or after it.
        new Random(15).Shuffle(shots);
        var tally = new UsageTally();
        var clock = Stopwatch.StartNew();
        await Traffic.RunAsync(shots.Length, Workers, n => (Hosts[n % 2].Proxy, shots[n]), tally);
        var sendTime = clock.Elapsed;
        Assert.Equal(Known / mix.Length * 3 + SprayerOwn, Upstream.Count - 2);

        var days = tally.Days.Union(sprayerTally.Days).Order(StringComparer.Ordinal).ToArray();
        const long SprayerTotal = Sprayed + SprayerOwn + 2;
        clock.Restart();
        await Eventually.TrueAsync(
            async () => UsageRedis.Show(await Redis.CountsAsync(k1.Id, days)) == UsageRedis.Show(tally.For(k1.Id))
                && UsageRedis.Show(await Redis.CountsAsync(k2.Id, days)) == UsageRedis.Show(tally.For(k2.Id))
                && (await Redis.CountsAsync(sprayer.Id, days)).Values.Sum() == SprayerTotal,
            "every count to reach Redis",
            TimeSpan.FromSeconds(30));
        var settleTime = clock.Elapsed;

        // The two other keys: exact, field by field.
        Assert.Equal(UsageRedis.Show(tally.For(k1.Id)), UsageRedis.Show(await Redis.CountsAsync(k1.Id, days)));
        Assert.Equal(UsageRedis.Show(tally.For(k2.Id)), UsageRedis.Show(await Redis.CountsAsync(k2.Id, days)));
        Assert.Equal(0, dropped.Sum(p => p.Value));

        // The sprayer: its own endpoint whole, the cap's worth of sprayed ids once each, and 'other' exactly the rest.
        var counts = await Redis.CountsAsync(sprayer.Id, days);
        var targets = counts.Keys.Select(f => f[..f.LastIndexOf(':')]).Where(t => t != "other").Distinct().ToArray();
        Assert.Equal(Cap, targets.Length);
        Assert.Equal(SprayerOwn + 2, counts["endpoint:ep-0:allowed"]);
        var separate = counts.Where(c => c.Key.StartsWith("endpoint:x", StringComparison.Ordinal)).ToArray();
        Assert.Equal(Cap - 1, separate.Length);
        Assert.All(separate, c => Assert.True(c.Key.EndsWith(":denied", StringComparison.Ordinal) && c.Value == 1, $"{c.Key}={c.Value}"));
        Assert.Equal(Sprayed - (Cap - 1), counts["other:denied"]);
        Assert.False(counts.ContainsKey("other:allowed"));
        Assert.Equal(SprayerTotal, counts.Values.Sum());
        // Every request in 'other' was counted there by an instance or by the flush script, and reported so.
        Assert.Equal(counts["other:denied"], toOther.Sum(p => p.Value));
        Assert.Contains("gateway_usage_to_other_total", await a.Admin.GetStringAsync("/metrics"), StringComparison.Ordinal);

        // The usage call shows 'other' like any target.
        var usage = JsonNode.Parse(await b.Admin.GetStringAsync($"/admin/keys/{sprayer.Id}/usage?days=2"))!;
        var reportedOther = usage["days"]!.AsArray().Sum(d => (long?)d!["targets"]!["other"]?["denied"] ?? 0);
        Assert.Equal(counts["other:denied"], reportedOther);

        output.WriteLine(
            $"{shots.Length} requests from {Workers} tasks over 2 instances in {sendTime.TotalSeconds:0.00} s; " +
            $"Redis exact {settleTime.TotalMilliseconds:0} ms after the last response. Sprayer: {targets.Length} targets, " +
            $"other:denied={counts["other:denied"]}; to_other by instance: {string.Join(", ", toOther.Select(p => p.Value))}.");
    }

    private GatewayHost StartHost() => StartHost(("Usage:MaxTargetsPerKey", Cap.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    private CounterProbe Probe(GatewayHost host, string instrument)
    {
        var probe = new CounterProbe(host.Services.GetRequiredService<IMeterFactory>(), instrument);
        _probes.Add(probe);
        return probe;
    }
}
