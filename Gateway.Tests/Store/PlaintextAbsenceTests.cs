using System.Net.Http.Json;
using Gateway.Keys;
using Gateway.Tests.Infrastructure;
using StackExchange.Redis;

namespace Gateway.Tests.Store;

/// <summary>Whoever reads the store (a backup, a compromised Redis) finds no usable key: only hashes and display prefixes.</summary>
public sealed class PlaintextAbsenceTests(GatewayTest.Parts parts) : GatewayTest(parts)
{
    [Fact]
    public async Task NoKeyPlaintext_IsAnywhereInTheStore_AfterCreateImportUseAndAudit()
    {
        var (rpa, id) = await Host.CreateKeyAsync(new { name = "secret-holder", endpoints = new Dictionary<string, string> { ["*"] = "readwrite" } });
        const string legacy = "legacy-plaintext-0123456789abcdef";
        var import = await Host.Admin.PostAsJsonAsync("/admin/keys/legacy", new { keys = new[] { new { key = legacy, name = "old", graphql = "read" } } });
        import.EnsureSuccessStatusCode();
        await Host.Admin.PatchAsJsonAsync($"/admin/keys/{id}", new { name = "renamed" });
        using (var request = new HttpRequestMessage(HttpMethod.Get, "/v2/ep1/status"))
        {
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + rpa);
            (await Host.Proxy.SendAsync(request)).EnsureSuccessStatusCode();
        }

        await using var redis = await ConnectionMultiplexer.ConnectAsync(TestStore.Configuration);
        var everything = new List<string>();
        foreach (var endpoint in redis.GetEndPoints())
        {
            var server = redis.GetServer(endpoint);
            if (server.IsReplica)
            {
                continue;
            }

            await foreach (var key in server.KeysAsync(pattern: Prefix + "*"))
            {
                everything.Add(key!);
                everything.Add(await DumpAsync(redis.GetDatabase(), key));
            }
        }

        Assert.Contains(everything, k => k.Contains(KeyDigest.Compute(rpa).ToHex(), StringComparison.Ordinal));
        Assert.DoesNotContain(everything, text => text.Contains(rpa, StringComparison.Ordinal));
        Assert.DoesNotContain(everything, text => text.Contains(legacy, StringComparison.Ordinal));
    }

    private static async Task<string> DumpAsync(IDatabase db, RedisKey key) => (await db.KeyTypeAsync(key)) switch
    {
        RedisType.String => (string?)await db.StringGetAsync(key) ?? "",
        RedisType.Hash => string.Join("|", (await db.HashGetAllAsync(key)).Select(e => $"{e.Name}={e.Value}")),
        RedisType.Set => string.Join("|", await db.SetMembersAsync(key)),
        RedisType.SortedSet => string.Join("|", await db.SortedSetRangeByRankAsync(key)),
        RedisType.List => string.Join("|", await db.ListRangeAsync(key)),
        RedisType.Stream => string.Join("|", (await db.StreamRangeAsync(key)).SelectMany(e => e.Values.Select(v => v.Value.ToString()))),
        _ => "",
    };
}
