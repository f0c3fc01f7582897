using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Gateway.Keys;
using Gateway.Store;
using Gateway.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Gateway.Tests.Usage;

/// <summary>Counts are exact across concurrent requests and across instances sharing one Redis.</summary>
public sealed class UsageExactnessTests(ITestOutputHelper output) : UsageInstancesTest
{
    private const int Requests = 4_800;
    private const int Workers = 32;


    [Fact]
    public async Task ThreeInstances_ConcurrentMixedTraffic_RedisHoldsExactCountsPerKeyDayAndField()
    {
        var first = StartHost();
        // Answers key_expired, which is counted as denied. The admin API only takes a future expiresAt, so the record is
        // moved into the past in Redis before any instance has read the key (no wait for a real expiry).
        var expiring = await first.CreateKeyAsync(new { name = "expiring", graphql = "read", expiresAt = DateTimeOffset.UtcNow.AddHours(1).ToString("O") });
        Assert.True(await Redis.Db.HashExistsAsync(RecordKey(expiring.Key), KeyRecordCodec.ExpiresAt));
        await Redis.Db.HashSetAsync(RecordKey(expiring.Key), KeyRecordCodec.ExpiresAt, DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeMilliseconds());
        var k1 = await first.CreateKeyAsync(new
        {
            name = "k1",
            graphql = "read",
            endpoints = new Dictionary<string, string> { ["ep-a"] = "readwrite", ["ep-b"] = "read" },
        });
        var k2 = await first.CreateKeyAsync(new { name = "k2", endpoints = new Dictionary<string, string> { ["*"] = "read" } });
        var disabled = await first.CreateKeyAsync(new { name = "disabled", graphql = "readwrite", endpoints = new Dictionary<string, string> { ["*"] = "readwrite" } });
        var unused = await first.CreateKeyAsync(new { name = "unused", graphql = "readwrite" });
        using (var patch = await first.Admin.PatchAsJsonAsync($"/admin/keys/{disabled.Id}", new { enabled = false }))
        {
            Assert.True(patch.IsSuccessStatusCode);
        }

        StartHost();
        StartHost();

        const string Query = "query { myself { id } }";
        const string Mutation = "mutation { saveEndpoint(input: {name: \"x\"}) { id } }";
        var unknown = KeyFormat.Generate();
        Shot[] mix =
        [
            Shot.Endpoint(k1.Key, k1.Id, HttpMethod.Get, "ep-a", 200),
            Shot.Endpoint(k1.Key, k1.Id, HttpMethod.Post, "ep-a", 200),
            Shot.Endpoint(k1.Key, k1.Id, HttpMethod.Post, "ep-b", 403, "scope_denied"),
            Shot.Endpoint(k1.Key, k1.Id, HttpMethod.Get, "ep-b", 200),
            Shot.Endpoint(k1.Key, k1.Id, HttpMethod.Delete, "ep-c", 403, "scope_denied"),
            Shot.GraphQLPost(k1.Key, k1.Id, Query, 200),
            Shot.GraphQLPost(k1.Key, k1.Id, Mutation, 403, "scope_denied"),
            Shot.GraphQLGet(k1.Key, k1.Id, Query, 200),
            // Refused before the scope check for a reason usage does not count.
            Shot.GraphQLPost(k1.Key, k1.Id, "query {", 400, "invalid_graphql"),
            Shot.Endpoint(k2.Key, k2.Id, HttpMethod.Get, "ep-a", 200),
            Shot.Endpoint(k2.Key, k2.Id, HttpMethod.Post, "ep-d", 403, "scope_denied"),
            Shot.GraphQLPost(k2.Key, k2.Id, Query, 403, "scope_denied"),
            Shot.Endpoint(disabled.Key, disabled.Id, HttpMethod.Get, "ep-a", 403, "key_disabled"),
            Shot.GraphQLPost(disabled.Key, disabled.Id, Query, 403, "key_disabled"),
            Shot.GraphQLPost(expiring.Key, expiring.Id, Query, 403, "key_expired"),
            // Unknown and malformed keys are never counted under any key.
            Shot.Endpoint(unknown, null, HttpMethod.Get, "ep-a", 401, "invalid_key"),
            Shot.GraphQLPost(unknown, null, Query, 401, "invalid_key"),
            Shot.Endpoint("rpa_notarealkeyatall", null, HttpMethod.Post, "ep-a", 401, "invalid_key"),
        ];

        var tally = new UsageTally();
        var clock = Stopwatch.StartNew();
        await Traffic.RunAsync(Requests, Workers, n => (Hosts[(n + (n / mix.Length)) % Hosts.Count].Proxy, mix[n % mix.Length]), tally);
        var sendTime = clock.Elapsed;

        Assert.Equal(Requests, tally.Sent);
        Assert.Equal(tally.Allowed, Upstream.Count);
        Assert.Equal(new SortedSet<string>([k1.Id, k2.Id, disabled.Id, expiring.Id], StringComparer.Ordinal), tally.KeyIds);

        // Exact per key and field, summed over the day(s) the run spanned (one day unless it straddled UTC midnight).
        var days = tally.Days;
        clock.Restart();
        await Eventually.TrueAsync(
            async () =>
            {
                foreach (var id in tally.KeyIds)
                {
                    if (UsageRedis.Show(await Redis.CountsAsync(id, days)) != UsageRedis.Show(tally.For(id)))
                    {
                        return false;
                    }
                }

                return true;
            },
            "the usage hashes to equal the counts sent",
            TimeSpan.FromSeconds(20));
        var settleTime = clock.Elapsed;

        foreach (var id in tally.KeyIds)
        {
            Assert.Equal(UsageRedis.Show(tally.For(id)), UsageRedis.Show(await Redis.CountsAsync(id, days)));
        }

        Assert.Equal(tally.KeyIds, await Redis.KeyIdsAsync(days));
        // No hash for any other key (the unused key, the unknown keys) and none for a day outside the run.
        var hashes = await Redis.ScanAsync("usage:{");
        var possible = tally.KeyIds.SelectMany(id => days.Select(day => $"usage:{{{id}}}:{day}")).ToHashSet(StringComparer.Ordinal);
        Assert.All(hashes, h => Assert.Contains(h, possible));
        Assert.Equal(tally.KeyIds, new SortedSet<string>(hashes.Select(h => h[7..h.IndexOf('}', StringComparison.Ordinal)]), StringComparer.Ordinal));

        await AssertUsageCallAsync(tally, k1.Id, k2.Id, disabled.Id, expiring.Id);
        var never = JsonNode.Parse(await Hosts[2].Admin.GetStringAsync($"/admin/keys/{unused.Id}/usage"))!;
        Assert.Null(never["lastUsedAt"]);
        Assert.Empty(never["days"]!.AsArray());

        output.WriteLine(
            $"{tally.Sent} requests ({tally.Allowed} allowed, {tally.Denied} denied, {tally.Sent - tally.Allowed - tally.Denied} not counted) " +
            $"from {Workers} tasks over {Hosts.Count} instances in {sendTime.TotalSeconds:0.00} s; days {string.Join(",", days)}; " +
            $"Redis exact {settleTime.TotalMilliseconds:0} ms after the last response.");
        foreach (var id in tally.KeyIds)
        {
            output.WriteLine($"  {id}: {UsageRedis.Show(await Redis.CountsAsync(id, days))}");
        }
    }

    /// <summary>The usage admin call (any instance) reports the same counts, and lastUsedAt within the flush granularity.</summary>
    private async Task AssertUsageCallAsync(UsageTally tally, params string[] ids)
    {
        foreach (var (id, index) in ids.Select((id, i) => (id, i)))
        {
            var admin = Hosts[index % Hosts.Count].Admin;
            var expected = tally.For(id);
            JsonNode usage = null!;
            // lastUsedAt travels in the same flush as the counts, a few commands later.
            await Eventually.TrueAsync(
                async () =>
                {
                    usage = JsonNode.Parse(await admin.GetStringAsync($"/admin/keys/{id}/usage?days=2"))!;
                    var lastUsed = (string?)usage["lastUsedAt"];
                    return lastUsed is not null && DateTimeOffset.Parse(lastUsed, System.Globalization.CultureInfo.InvariantCulture) >= tally.LastSent(id)!.Value.AddSeconds(-1);
                },
                $"lastUsedAt of {id} to cover its latest request");

            Assert.Equal(id, (string?)usage["keyId"]);
            var reported = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var day in usage["days"]!.AsArray())
            {
                Assert.Contains(((string)day!["date"]!).Replace("-", "", StringComparison.Ordinal), tally.Days);
                foreach (var (target, counts) in day["targets"]!.AsObject())
                {
                    reported[target + ":allowed"] = reported.GetValueOrDefault(target + ":allowed") + (long)counts!["allowed"]!;
                    reported[target + ":denied"] = reported.GetValueOrDefault(target + ":denied") + (long)counts["denied"]!;
                }
            }

            Assert.Equal(UsageRedis.Show(expected), UsageRedis.Show(reported));
            var lastUsedAt = DateTimeOffset.Parse((string)usage["lastUsedAt"]!, System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(lastUsedAt, tally.LastSent(id)!.Value.AddSeconds(-1), DateTimeOffset.UtcNow);
        }
    }

    private StackExchange.Redis.RedisKey RecordKey(string key) => $"{Prefix}key:{KeyDigest.Compute(key).ToHex()}";
}
