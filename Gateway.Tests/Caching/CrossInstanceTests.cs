using System.Net;
using Gateway.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Gateway.Tests.Caching;

/// <summary>An admin change made on instance A is enforced by instance B within one second (README: "The key cache").</summary>
[Collection(TwoHostsCollection.Name)]
public sealed class CrossInstanceTests(TwoHostsFixture hosts, ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task Disable_OnA_IsEnforcedOnB_WithinOneSecond()
    {
        var (key, id) = await WarmKeyOnBAsync("disable");

        await PatchOnAAsync(id, new { enabled = false });

        await AssertWithinBoundAsync("disable", () => CacheProbe.RefusedAsync(hosts.B, key, "key_disabled"));
    }

    [Fact]
    public async Task Enable_OnA_IsEnforcedOnB_WithinOneSecond()
    {
        var (key, id) = await WarmKeyOnBAsync("enable");
        await PatchOnAAsync(id, new { enabled = false });
        await Eventually.TrueAsync(() => CacheProbe.RefusedAsync(hosts.B, key, "key_disabled"), "B to see the key disabled");

        await PatchOnAAsync(id, new { enabled = true });

        await AssertWithinBoundAsync("enable", () => CacheProbe.PassesAsync(hosts.B, key));
    }

    [Fact]
    public async Task ScopeEdit_OnA_IsEnforcedOnB_WithinOneSecond()
    {
        var (key, id) = await WarmKeyOnBAsync("scope-edit");
        Assert.True(await CacheProbe.PassesAsync(hosts.B, key, HttpMethod.Post));

        await PatchOnAAsync(id, new { endpoints = new Dictionary<string, string> { ["*"] = "read" } });

        await AssertWithinBoundAsync("scope edit", () => CacheProbe.RefusedAsync(hosts.B, key, "scope_denied", HttpMethod.Post));
        Assert.True(await CacheProbe.PassesAsync(hosts.B, key, HttpMethod.Get));
    }

    [Fact]
    public async Task Delete_OnA_IsEnforcedOnB_WithinOneSecond()
    {
        var (key, id) = await WarmKeyOnBAsync("delete");

        using (var deleted = await hosts.A.Admin.DeleteAsync($"/admin/keys/{id}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        await AssertWithinBoundAsync("delete", () => CacheProbe.RefusedAsync(hosts.B, key, "invalid_key"));
    }

    private async Task<(string Key, string Id)> WarmKeyOnBAsync(string name)
    {
        var created = await hosts.A.CreateKeyAsync(CacheProbe.EveryEndpoint(name));
        Assert.True(await CacheProbe.PassesAsync(hosts.B, created.Key));
        return created;
    }

    private async Task PatchOnAAsync(string id, object body)
    {
        using var response = await CacheProbe.PatchAsync(hosts.A, id, body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private async Task AssertWithinBoundAsync(string change, Func<Task<bool>> enforcedOnB)
    {
        // A real-time bound, because the bound is the promise (README: "The key cache"). The hosts' fake clock stands
        // still, so no L1 entry expires: only the invalidation message can explain a change seen within the bound.
        var elapsed = await Eventually.TimeUntilAsync(enforcedOnB, $"B to enforce the {change}", TimeSpan.FromSeconds(10));
        output.WriteLine($"{change} on A enforced on B after {elapsed.TotalMilliseconds:0} ms");
        Assert.True(elapsed < Bound, $"{change} took {elapsed.TotalMilliseconds:0} ms to reach B");
    }
}
