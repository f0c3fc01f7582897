using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Usage;

/// <summary>One gateway for the usage admin call's tests; they read only what each seeds under its own key.</summary>
public sealed class UsageAdminFixture : IAsyncLifetime
{
    public string Prefix { get; } = TestStore.UniquePrefix();

    public RecordingUpstream Upstream { get; private set; } = null!;

    public GatewayHost Host { get; private set; } = null!;

    internal UsageRedis Redis { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Upstream = await RecordingUpstream.StartAsync();
        Host = new GatewayHost(GatewayHost.WriteConfig(Upstream.Address), TestStore.Configuration, Prefix, UsageHosts.Settings()).Start();
        Redis = await UsageRedis.ConnectAsync(TestStore.Configuration, Prefix);
    }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        File.Delete(Host.ConfigPath);
        await Upstream.DisposeAsync();
        Redis.Dispose();
    }
}

/// <summary><c>GET /admin/keys/{id}/usage?days=30</c>.</summary>
public sealed class UsageAdminTests(UsageAdminFixture fixture) : IClassFixture<UsageAdminFixture>
{
    private GatewayHost Host => fixture.Host;

    [Theory]
    [InlineData("?days=0")]
    [InlineData("?days=abc")]
    [InlineData("?days=91")]
    [InlineData("?days=-1")]
    [InlineData("?days=1.5")]
    [InlineData("?days=")]
    [InlineData("?days=1&days=2")]
    public async Task Usage_BadDays_Is400NamingDays(string query)
    {
        var (_, id) = await Host.CreateKeyAsync(new { name = "days" });

        using var response = await Host.Admin.GetAsync($"/admin/keys/{id}/usage{query}");

        Assert.Equal(400, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(400, (int)problem["status"]!);
        Assert.Contains("days", (string)problem["detail"]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Usage_UnknownKeyId_Is404()
    {
        using var response = await Host.Admin.GetAsync("/admin/keys/no-such-key/usage");

        Assert.Equal(404, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Usage_WithoutToken_Is401()
    {
        var (_, id) = await Host.CreateKeyAsync(new { name = "token" });
        using var anonymous = new HttpClient { BaseAddress = Host.Admin.BaseAddress };

        using var response = await anonymous.GetAsync($"/admin/keys/{id}/usage");

        Assert.Equal(401, (int)response.StatusCode);
    }

    [Fact]
    public async Task Usage_DefaultsToThirtyDays_OmittingDaysWithoutCounts()
    {
        var (_, id) = await Host.CreateKeyAsync(new { name = "history" });
        // Seeded straight into the usage layout (README: "Redis layout"): today, 1, 3, 29 and 30 days back, nothing in between.
        int[] seeded = [0, 1, 3, 29, 30, 89, 90];
        string today;
        JsonNode byDefault, ninety, one;
        do
        {
            today = UsageRedis.Today();
            var start = DateTimeOffset.ParseExact(today, "yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal);
            foreach (var back in seeded)
            {
                var day = UsageRedis.Day(start.AddDays(-back));
                await fixture.Redis.Db.KeyDeleteAsync(fixture.Redis.HashKey(id, day));
                await fixture.Redis.Db.HashSetAsync(fixture.Redis.HashKey(id, day), [new("endpoint:ep1:allowed", back + 1), new("graphql:denied", 2)]);
            }

            byDefault = await GetUsageAsync(id, "");
            ninety = await GetUsageAsync(id, "?days=90");
            one = await GetUsageAsync(id, "?days=1");
        }
        while (UsageRedis.Today() != today); // Seeded relative to a day that ended mid-test: seed again.

        Assert.Equal(id, (string?)byDefault["keyId"]);
        Assert.Null(byDefault["lastUsedAt"]);
        // The README fixes which days are listed, not their order.
        Assert.Equal(Dates(today, 0, 1, 3, 29).Order(), Dates(byDefault).Order());
        Assert.Equal(Dates(today, 0, 1, 3, 29, 30, 89).Order(), Dates(ninety).Order());
        Assert.Equal(Dates(today, 0), Dates(one));

        var third = byDefault["days"]!.AsArray().Single(d => (string?)d!["date"] == Dates(today, 3)[0])!["targets"]!.AsObject();
        Assert.Equal(["endpoint:ep1", "graphql"], third.Select(t => t.Key).Order(StringComparer.Ordinal));
        Assert.Equal(4, (long)third["endpoint:ep1"]!["allowed"]!);
        Assert.Equal(0, (long)third["endpoint:ep1"]!["denied"]!);
        Assert.Equal(0, (long)third["graphql"]!["allowed"]!);
        Assert.Equal(2, (long)third["graphql"]!["denied"]!);
    }

    private async Task<JsonNode> GetUsageAsync(string id, string query)
    {
        using var response = await Host.Admin.GetAsync($"/admin/keys/{id}/usage{query}");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == 200, $"{query}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }

    private static string[] Dates(JsonNode usage) => usage["days"]!.AsArray().Select(d => (string)d!["date"]!).ToArray();

    private static string[] Dates(string today, params int[] back)
    {
        var start = DateTimeOffset.ParseExact(today, "yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal);
        return back.Select(b => start.AddDays(-b).UtcDateTime.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)).ToArray();
    }
}
