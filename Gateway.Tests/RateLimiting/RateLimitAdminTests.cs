using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.RateLimiting;

/// <summary><c>rateLimits</c> through the admin API: views, validation naming the field, PATCH, legacy keys, and a live change.</summary>
public sealed class RateLimitAdminTests(GatewayTest.Parts parts) : GatewayTest(parts)
{
    [Fact]
    public async Task Create_WithLimits_ViewListsThem_OrderedByWindow_AndNoneIsAnEmptyList()
    {
        var (_, id) = await Host.CreateKeyAsync(new { name = "l", rateLimits = new[] { new { requests = 1000, windowSeconds = 3600 }, new { requests = 10, windowSeconds = 1 } } });
        var view = JsonNode.Parse(await Host.Admin.GetStringAsync($"/admin/keys/{id}"))!;
        Assert.Equal("""[{"requests":10,"windowSeconds":1},{"requests":1000,"windowSeconds":3600}]""", view["rateLimits"]!.ToJsonString());
        var (_, plain) = await Host.CreateKeyAsync(new { name = "p" });
        Assert.Equal("[]", JsonNode.Parse(await Host.Admin.GetStringAsync($"/admin/keys/{plain}"))!["rateLimits"]!.ToJsonString());
    }

    [Theory]
    [InlineData("""[{"requests":0,"windowSeconds":1}]""")]
    [InlineData("""[{"requests":1000000001,"windowSeconds":1}]""")]
    [InlineData("""[{"requests":1,"windowSeconds":2678401}]""")]
    [InlineData("""[{"requests":1,"windowSeconds":60},{"requests":2,"windowSeconds":60}]""")]
    [InlineData("""[{"requests":1,"windowSeconds":1},{"requests":1,"windowSeconds":2},{"requests":1,"windowSeconds":3},{"requests":1,"windowSeconds":4}]""")]
    [InlineData("""[{"requests":1}]""")]
    [InlineData("""[null]""")]
    public async Task Create_WithBadLimits_Is400_NamingRateLimits(string limits)
    {
        using var response = await Host.Admin.PostAsync("/admin/keys",
            new StringContent($$"""{"name":"bad","rateLimits":{{limits}}}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("rateLimits", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Patch_SetsLimits_AndAnEmptyListRemovesThem_EnforcedAtOnce()
    {
        var (key, id) = await Host.CreateKeyAsync(new { name = "p", endpoints = new Dictionary<string, string> { ["*"] = "read" } });
        using (var set = await Host.Admin.PatchAsJsonAsync($"/admin/keys/{id}", new { rateLimits = new[] { new { requests = 2, windowSeconds = 3600 } } }))
        {
            Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        }

        var answers = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            using var response = await Host.Proxy.SendAsync(ThreeGateways.Get(key));
            answers.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                Assert.Contains("\"rate_limited\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
                Assert.True(int.Parse(response.Headers.RetryAfter!.Delta!.Value.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture), System.Globalization.CultureInfo.InvariantCulture) >= 1);
                Assert.Equal("\"3600s\";q=2;w=3600", response.Headers.GetValues("RateLimit-Policy").Single());
                Assert.StartsWith("\"3600s\";r=0;t=", response.Headers.GetValues("RateLimit").Single(), StringComparison.Ordinal);
            }
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], answers);
        using (var clear = await Host.Admin.PatchAsJsonAsync($"/admin/keys/{id}", new { rateLimits = Array.Empty<object>() }))
        {
            Assert.Equal("[]", JsonNode.Parse(await clear.Content.ReadAsStringAsync())!["rateLimits"]!.ToJsonString());
        }

        await Eventually.TrueAsync(async () =>
        {
            using var response = await Host.Proxy.SendAsync(ThreeGateways.Get(key));
            return response.StatusCode == HttpStatusCode.OK;
        }, "the removed limit to stop refusing");
    }

    [Fact]
    public async Task Patch_LimitsOnALegacyKey_Is409()
    {
        using var import = await Host.Admin.PostAsJsonAsync("/admin/keys/legacy",
            new { keys = new[] { new { key = "legacy-key-for-rate-limits-" + Guid.NewGuid().ToString("N"), name = "old", graphql = "read" } } });
        var id = (string)JsonNode.Parse(await import.Content.ReadAsStringAsync())!["imported"]![0]!["id"]!;
        using var patch = await Host.Admin.PatchAsJsonAsync($"/admin/keys/{id}", new { rateLimits = new[] { new { requests = 1, windowSeconds = 1 } } });
        Assert.Equal(HttpStatusCode.Conflict, patch.StatusCode);
        Assert.Contains("legacy_key_immutable", await patch.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
