using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;
using static Gateway.Tests.ClientAddresses.ClientCalls;

namespace Gateway.Tests.ClientAddresses;

/// <summary>
/// <c>allowedIps</c> through the real gateway with no trusted proxy configured (contract §8): the client address is the
/// connection's peer (127.0.0.1 here), and no header a client sends changes it, loopback peer or not.
/// </summary>
public sealed class AllowListTests(GatewayTest.Parts parts) : GatewayTest(parts)
{
    protected override bool PartsPerTest => true;

    [Fact]
    public async Task PeerInABlock_Passes_PeerInNone_Is403_AndTheUpstreamNeverSawIt()
    {
        var loopback = await KeyAsync(Host, "127.0.0.0/8");
        var mappedEntry = await KeyAsync(Host, "::ffff:127.0.0.0/104");
        var elsewhere = await KeyAsync(Host, "10.0.0.0/8", "2001:db8::/32");

        Assert.Equal(200, (await SendAsync(Host, loopback, "in")).Status);
        Assert.Equal(200, (await SendAsync(Host, mappedEntry, "mapped-entry")).Status);
        var refused = await SendAsync(Host, elsewhere, "out");

        Assert.Equal(403, refused.Status);
        Assert.Equal("ip_not_allowed", refused.Code);
        refused.AssertProblemShape("an allow-list refusal");
        Assert.True(Saw(Upstream, "in"));
        Assert.False(Saw(Upstream, "out"));
        Assert.Equal(2, Upstream.Count);
    }

    [Theory]
    [InlineData("X-Forwarded-For: 10.1.2.3")]
    [InlineData("X-Forwarded-For: 127.0.0.1, 10.1.2.3")]
    [InlineData("Forwarded: for=10.1.2.3")]
    [InlineData("X-Real-IP: 10.1.2.3")]
    [InlineData("X-Client-IP: 10.1.2.3")]
    [InlineData("True-Client-IP: 10.1.2.3")]
    [InlineData("CF-Connecting-IP: 10.1.2.3")]
    [InlineData("X-Original-For: 10.1.2.3")]
    public async Task SpoofedAddressHeaders_FromAnUntrustedPeer_AreIgnored_LoopbackIncluded(string header)
    {
        var key = await KeyAsync(Host, "10.0.0.0/8");

        var response = await SendAsync(Host, key, "spoof", header);

        Assert.Equal("ip_not_allowed", response.Code);
        Assert.Equal(0, Upstream.Count);
    }

    [Fact]
    public async Task Refusals_AreCountedAsDenied_AndInMetrics()
    {
        var (key, id) = await Host.CreateKeyAsync(new { name = "counted", endpoints = new Dictionary<string, string> { ["ep1"] = "read" }, allowedIps = new[] { "10.0.0.0/8" } });

        Assert.Equal("ip_not_allowed", (await SendAsync(Host, key, "one")).Code);
        Assert.Equal("ip_not_allowed", (await SendAsync(Host, key, "two")).Code);

        await Eventually.TrueAsync(async () =>
        {
            var usage = JsonNode.Parse(await Host.Admin.GetStringAsync($"/admin/keys/{id}/usage"))!;
            var target = usage["days"]!.AsArray().SingleOrDefault()?["targets"]?["endpoint:ep1"];
            return target is not null && (long)target["denied"]! == 2 && (long)target["allowed"]! == 0;
        }, "two denied requests in the key's usage");
        var metrics = await Host.Admin.GetStringAsync("/metrics");
        Assert.Contains("code=\"ip_not_allowed\"", metrics, StringComparison.Ordinal);
        Assert.Equal(0, Upstream.Count);
    }

    [Fact]
    public async Task Patch_ChangesAndEmptyRemoves_EnforcedOnASecondInstanceWithinOneSecond()
    {
        await using var second = new GatewayHost(Host.ConfigPath, TestStore.Configuration, Prefix).Start();
        var (key, id) = await Host.CreateKeyAsync(new { name = "patched", endpoints = new Dictionary<string, string> { ["*"] = "read" }, allowedIps = new[] { "10.0.0.0/8" } });
        Assert.Equal("ip_not_allowed", (await SendAsync(second, key, "before")).Code);

        var view = await PatchAsync(Host, id, new { allowedIps = Array.Empty<string>() });

        Assert.Empty(view["allowedIps"]!.AsArray());
        await Eventually.TrueAsync(async () => (await SendAsync(second, key, "removed")).Status == 200, "the removal on the second instance", TimeSpan.FromSeconds(1));

        await PatchAsync(Host, id, new { allowedIps = new[] { "192.0.2.0/24" } });
        await Eventually.TrueAsync(async () => (await SendAsync(second, key, "restricted")).Code == "ip_not_allowed", "the new list on the second instance", TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task AdminApi_StoresCanonicalForm_Refuses400NamingAllowedIps_AndLegacyKeysTakeNone()
    {
        var (_, id) = await Host.CreateKeyAsync(new { name = "canonical", allowedIps = new[] { " 2001:DB8::/32", "203.0.113.7/32", "203.0.113.7" } });
        var stored = JsonNode.Parse(await Host.Admin.GetStringAsync($"/admin/keys/{id}"))!;
        Assert.Equal(["2001:db8::/32", "203.0.113.7"], stored["allowedIps"]!.AsArray().Select(n => (string)n!));
        var plain = JsonNode.Parse(await Host.Admin.GetStringAsync($"/admin/keys/{(await Host.CreateKeyAsync(new { name = "plain" })).Id}"))!;
        Assert.Empty(plain["allowedIps"]!.AsArray());

        foreach (var body in new object[]
        {
            new { name = "bad", allowedIps = new[] { "10.1.2.3/8" } },
            new { name = "bad", allowedIps = new[] { "not an address" } },
            new { name = "bad", allowedIps = new[] { "fe80::1%eth0" } },
            new { name = "bad", allowedIps = Enumerable.Range(0, 101).Select(i => $"10.0.{i}.0/24").ToArray() },
        })
        {
            using var create = await Host.Admin.PostAsJsonAsync("/admin/keys", body);
            Assert.Equal(HttpStatusCode.BadRequest, create.StatusCode);
            Assert.StartsWith("allowedIps:", (string)JsonNode.Parse(await create.Content.ReadAsStringAsync())!["detail"]!, StringComparison.Ordinal);
        }

        using var patchBad = await Host.Admin.PatchAsJsonAsync($"/admin/keys/{id}", new { allowedIps = new[] { "10.0.0.0/33" } });
        Assert.Equal(HttpStatusCode.BadRequest, patchBad.StatusCode);
        using var patchNull = await Host.Admin.PatchAsync($"/admin/keys/{id}", JsonContent.Create(new JsonObject { ["allowedIps"] = null }));
        Assert.Equal(HttpStatusCode.BadRequest, patchNull.StatusCode);
        Assert.Contains("allowedIps", await patchNull.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var import = await Host.Admin.PostAsJsonAsync("/admin/keys/legacy", new { keys = new[] { new { key = "legacy-key-0123456789-allowips", name = "legacy", graphql = "read" } } });
        var legacyId = (string)JsonNode.Parse(await import.Content.ReadAsStringAsync())!["imported"]![0]!["id"]!;
        using var legacyPatch = await Host.Admin.PatchAsJsonAsync($"/admin/keys/{legacyId}", new { allowedIps = new[] { "10.0.0.0/8" } });
        Assert.Equal(HttpStatusCode.Conflict, legacyPatch.StatusCode);
        Assert.Contains("legacy_key_immutable", await legacyPatch.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var legacyImportWithList = await Host.Admin.PostAsJsonAsync("/admin/keys/legacy", new { keys = new[] { new { key = "legacy-key-0123456789-allowips-2", name = "legacy", graphql = "read", allowedIps = new[] { "10.0.0.0/8" } } } });
        Assert.Equal(HttpStatusCode.BadRequest, legacyImportWithList.StatusCode);
    }
}
