using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Gateway.Tests.Admin;

/// <summary>
/// Concurrent admin writes never lose one another. Found from outside: a disable racing a rename answered
/// 200 <c>"enabled":false</c>, yet the key ended enabled and kept serving, because the rename wrote back every field of
/// a read made before the disable. Hundreds of mixed PATCHes through two instances must end in a state some serial
/// order of them explains, with an audit trail whose before/after chain has no gap.
/// </summary>
public sealed class AdminConcurrentWriteTests(GatewayTest.Parts parts, ITestOutputHelper output) : GatewayTest(parts)
{
    private const int Trials = 60;
    private const int Patches = 300;

    [Fact]
    public async Task DisableRacingRename_DisableSticks_AndTheProxyRefusesTheKey_60Trials()
    {
        for (var trial = 0; trial < Trials; trial++)
        {
            var (key, id) = await Host.CreateKeyAsync(new { name = "racer", endpoints = new Dictionary<string, string> { ["*"] = "read" } });
            var both = await Task.WhenAll(
                AdminWrites.PatchAsync(Host.Admin, id, """{"enabled":false}"""),
                AdminWrites.PatchAsync(Host.Admin, id, """{"name":"x"}"""));
            var (disable, rename) = (both[0], both[1]);

            Assert.True(disable.Status == HttpStatusCode.OK && rename.Status == HttpStatusCode.OK, $"trial {trial}: {disable.Text} {rename.Text}");
            Assert.False((bool)disable.Body!["enabled"]!);
            Assert.Equal("x", (string)rename.Body!["name"]!);

            var stored = JsonNode.Parse(await Host.Admin.GetStringAsync($"/admin/keys/{id}"))!;
            Assert.True(!(bool)stored["enabled"]! && (string)stored["name"]! == "x", $"trial {trial}: the store holds {stored.ToJsonString()}");

            var marker = $"/v2/ep1/trial{trial}";
            var answer = await Host.SendWithKeyAsync(HttpMethod.Get, marker, key);
            Assert.Equal((403, "key_disabled"), (answer.Status, answer.Code));
            Assert.DoesNotContain(Upstream.Received, r => r.Path == marker);
        }
    }

    [Fact]
    public async Task HundredsOfMixedPatchesThroughTwoInstances_EndInASerialOrder_WithAnAuditChainWithoutGaps()
    {
        await using var other = new GatewayHost(Host.ConfigPath, TestStore.Configuration, Prefix).Start();
        var (key, id) = await Host.CreateKeyAsync(new { name = "start", graphql = "read", endpoints = new Dictionary<string, string> { ["*"] = "read" } });
        var random = new Random(16);
        var patches = Enumerable.Range(0, Patches).Select(i => MixedPatch(random, i)).ToList();

        var answers = await Task.WhenAll(patches.Select((patch, i) =>
            AdminWrites.PatchAsync((i % 2 == 0 ? Host : other).Admin, id, patch.ToJsonString())));

        for (var i = 0; i < Patches; i++)
        {
            Assert.True(answers[i].Status == HttpStatusCode.OK, $"PATCH {patches[i].ToJsonString()}: {(int)answers[i].Status} {answers[i].Text}");
            // The view a write returns is what it stored: its own fields, at the version in its ETag.
            foreach (var (field, value) in patches[i])
            {
                Assert.True(SameValue(field, value, answers[i].Body![field]), $"answer {i} to {patches[i].ToJsonString()} shows {answers[i].Text}");
            }
        }

        var final = await AdminWrites.GetAsync(Host.Admin, id);
        var finalVersion = final.Version!.Value;
        foreach (var field in new[] { "enabled", "name", "graphql", "expiresAt" })
        {
            // A serial order exists: each field holds the value of the PATCH that set it at the highest version.
            var last = Enumerable.Range(0, Patches).Where(i => patches[i].ContainsKey(field)).MaxBy(i => answers[i].Version);
            Assert.True(SameValue(field, patches[last][field], final.Body![field]), $"{field}: final {final.Text}, last writer {patches[last].ToJsonString()} at version {answers[last].Version}");
        }

        // Every disable sticks unless an enable answered at a later version explains it.
        var enables = Enumerable.Range(0, Patches).Where(i => patches[i]["enabled"] is { } e && (bool)e!).Select(i => answers[i].Version).ToList();
        foreach (var i in Enumerable.Range(0, Patches).Where(i => patches[i]["enabled"] is { } e && !(bool)e!))
        {
            Assert.True(!(bool)final.Body!["enabled"]! || enables.Any(v => v > answers[i].Version), $"the disable answered at version {answers[i].Version} was undone");
        }

        var trail = JsonNode.Parse(await Host.Admin.GetStringAsync("/admin/audit?limit=1000"))!["entries"]!.AsArray()
            .Where(e => (string?)e!["keyId"] == id).OrderBy(e => (long)e!["version"]!).ToList();
        Assert.Equal(Enumerable.Range(1, (int)finalVersion).Select(v => (long)v), trail.Select(e => (long)e!["version"]!));
        Assert.Equal("create", (string)trail[0]!["action"]!);
        for (var v = 1; v < trail.Count; v++)
        {
            Assert.True(JsonNode.DeepEquals(trail[v]!["before"], trail[v - 1]!["after"]), $"audit version {v + 1}: before {trail[v]!["before"]!.ToJsonString()} is not the after of version {v}");
        }

        Assert.True(JsonNode.DeepEquals(trail[^1]!["after"], final.Body), $"the last audit entry {trail[^1]!["after"]!.ToJsonString()} is not the stored key {final.Text}");

        var marker = "/v2/ep1/after-the-storm";
        var answer = await other.SendWithKeyAsync(HttpMethod.Get, marker, key);
        Assert.Equal((bool)final.Body!["enabled"]! ? 200 : 403, answer.Status);
        Assert.Equal((bool)final.Body!["enabled"]!, Upstream.Received.Any(r => r.Path == marker));
        output.WriteLine($"{Patches} PATCHes, {trail.Count - 1} writes (the rest changed nothing), final version {finalVersion}.");
    }

    // One to three of the mutable fields, each with a value the patch index makes unique where the type allows.
    private static JsonObject MixedPatch(Random random, int index)
    {
        var patch = new JsonObject();
        var fields = new[] { "enabled", "name", "graphql", "expiresAt" }.OrderBy(_ => random.Next()).Take(random.Next(1, 4));
        foreach (var field in fields)
        {
            patch[field] = field switch
            {
                "enabled" => random.Next(2) == 0,
                "name" => $"n{index}",
                "graphql" => new[] { "none", "read", "readwrite" }[random.Next(3)],
                _ => index % 5 == 0 ? null : DateTimeOffset.UtcNow.Date.AddDays(30 + index).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'"),
            };
        }

        return patch;
    }

    private static bool SameValue(string field, JsonNode? sent, JsonNode? shown) =>
        field == "expiresAt" && sent is not null && shown is not null
            ? DateTimeOffset.Parse((string)sent!) == DateTimeOffset.Parse((string)shown!)
            : JsonNode.DeepEquals(sent, shown);
}

/// <summary>An admin answer with its ETag's version, for tests of conditional and concurrent writes.</summary>
internal sealed record VersionedAnswer(HttpStatusCode Status, string? ETag, string Text)
{
    public JsonNode? Body => Text.Length == 0 ? null : JsonNode.Parse(Text);

    /// <summary>The version in a strong ETag <c>"n"</c>; null without one.</summary>
    public long? Version => ETag is { Length: > 2 } tag && tag[0] == '"' && long.TryParse(tag[1..^1], out var v) ? v : null;

    public string? Code => (string?)Body?["code"];
}

internal static class AdminWrites
{
    public static Task<VersionedAnswer> GetAsync(HttpClient admin, string id) => SendAsync(admin, HttpMethod.Get, $"/admin/keys/{id}", null);

    public static Task<VersionedAnswer> PatchAsync(HttpClient admin, string id, string json, string? ifMatch = null) =>
        SendAsync(admin, HttpMethod.Patch, $"/admin/keys/{id}", json, ifMatch);

    public static Task<VersionedAnswer> DeleteAsync(HttpClient admin, string id, string? ifMatch = null) =>
        SendAsync(admin, HttpMethod.Delete, $"/admin/keys/{id}", null, ifMatch);

    public static async Task<VersionedAnswer> SendAsync(HttpClient admin, HttpMethod method, string path, string? json, string? ifMatch = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        using var response = await admin.SendAsync(request);
        return new VersionedAnswer(response.StatusCode, response.Headers.ETag?.ToString(), await response.Content.ReadAsStringAsync());
    }
}
