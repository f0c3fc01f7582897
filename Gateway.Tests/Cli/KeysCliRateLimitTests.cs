using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Cli;

/// <summary><c>--rate-limit</c> on create and update (repeatable, units s/m/h/d, <c>none</c>), shown by list and show, enforced by the proxy.</summary>
[Collection(CliCollection.Name)]
public sealed class KeysCliRateLimitTests(CliFixture fixture)
{
    [Fact]
    public async Task Create_RepeatedRateLimits_AreSetShownAndEnforced()
    {
        var name = CliFixture.UniqueName("cli-limits");
        var run = await fixture.RunAsync("create", "--name", name, "--endpoint", "ep1=read", "--rate-limit", "2/1d", "--rate-limit", "1000/90m");
        Assert.True(run.Exit == 0, run.ToString());
        // The server keeps limits in window order, whatever order they were given in.
        var row = Assert.Single(run.OutLines, l => l.Contains(name, StringComparison.Ordinal));
        Assert.Matches(@"\s1000/90m,2/1d\s+any$", row);
        var key = System.Text.RegularExpressions.Regex.Match(run.Out, "rpa_[0-9A-Za-z]{36}").Value;
        var id = row.Split(' ')[0];

        var view = await fixture.AdminGetAsync($"/admin/keys/{id}");
        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse("""[{"requests":1000,"windowSeconds":5400},{"requests":2,"windowSeconds":86400}]"""), view["rateLimits"]), view.ToJsonString());
        foreach (var verb in new[] { "list", "show" })
        {
            var shown = verb == "list" ? await fixture.RunAsync("list", "--query", name) : await fixture.RunAsync("show", id);
            Assert.True(shown.Exit == 0, shown.ToString());
            Assert.Matches(@"\s1000/90m,2/1d\s+any$", Assert.Single(shown.OutLines, l => l.StartsWith(id, StringComparison.Ordinal)));
        }

        // Two a day: the third is refused by the proxy, not forwarded.
        Assert.Equal(200, (await fixture.Host.SendWithKeyAsync(HttpMethod.Get, "/v2/ep1/status", key)).Status);
        Assert.Equal(200, (await fixture.Host.SendWithKeyAsync(HttpMethod.Get, "/v2/ep1/status", key)).Status);
        Assert.Equal("rate_limited", (await fixture.Host.SendWithKeyAsync(HttpMethod.Get, "/v2/ep1/status", key)).Code);
    }

    [Fact]
    public async Task Update_RateLimitReplaces_AndNoneRemoves()
    {
        var (_, id) = await fixture.CreateKeyAsync(CliFixture.UniqueName("cli-limits-update"));

        var set = await fixture.RunAsync("update", id, "--rate-limit", "100/1s", "--rate-limit", "5000/h", "--json");
        Assert.True(set.Exit == 0, set.ToString());
        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse("""[{"requests":100,"windowSeconds":1},{"requests":5000,"windowSeconds":3600}]"""), set.Json["rateLimits"]), set.Out);

        var shown = await fixture.RunAsync("show", id);
        Assert.Matches(@"\s100/1s,5000/1h\s+any$", Assert.Single(shown.OutLines, l => l.StartsWith(id, StringComparison.Ordinal)));

        var none = await fixture.RunAsync("update", id, "--rate-limit", "none", "--json");
        Assert.True(none.Exit == 0, none.ToString());
        Assert.True(JsonNode.DeepEquals(new JsonArray(), none.Json["rateLimits"]), none.Out);
        Assert.True(JsonNode.DeepEquals(new JsonArray(), (await fixture.AdminGetAsync($"/admin/keys/{id}"))["rateLimits"]));
    }

    [Theory]
    [InlineData("100")]
    [InlineData("100/1w")]
    [InlineData("/1s")]
    [InlineData("-1/1s")]
    [InlineData("100/xs")]
    [InlineData("none")] // with another limit beside it: ambiguous, refused
    public async Task BadRateLimit_IsAUsageError_AndChangesNothing(string value)
    {
        var name = CliFixture.UniqueName("cli-limits-bad");
        var run = await fixture.RunAsync("create", "--name", name, "--rate-limit", value, "--rate-limit", "10/1m");
        Assert.True(run.Exit == 2, run.ToString());
        Assert.Contains("--rate-limit", run.Err);
        var list = await fixture.AdminGetAsync("/admin/keys?q=" + name);
        Assert.Empty(list["keys"]!.AsArray());
    }

    [Fact]
    public async Task OutOfRange_IsTheServersRefusal_NamingRateLimits()
    {
        var (_, id) = await fixture.CreateKeyAsync(CliFixture.UniqueName("cli-limits-range"));
        var run = await fixture.RunAsync("update", id, "--rate-limit", "0/1s");
        Assert.True(run.Exit == 1, run.ToString());
        Assert.Contains("400", run.Err);
        Assert.Contains("rateLimits", run.Err);
    }
}
