using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Cli;

/// <summary>Each verb against a real gateway, its effect proved through the admin API and the proxy.</summary>
[Collection(CliCollection.Name)]
public sealed class KeysCliTests(CliFixture fixture)
{
    private static readonly string[] KeyHeaders =
        ["ID", "NAME", "KIND", "PREFIX", "PERMISSION", "GRAPHQL", "ENDPOINTS", "ENABLED", "CREATED", "LAST USED", "EXPIRES", "RATE LIMITS", "ALLOWED IPS"];

    [Fact]
    public async Task Create_PrintsTheKeyOnce_AndItWorksThroughTheProxy()
    {
        var name = CliFixture.UniqueName("cli-create");
        var run = await fixture.RunAsync("create", "--name", name, "--graphql", "read", "--endpoint", "ep1=readwrite");

        Assert.True(run.Exit == 0, run.ToString());
        AssertHeaders(run.OutLines[0]);
        var keys = Regex.Matches(run.Out, "rpa_[0-9A-Za-z]{36}");
        var key = Assert.Single(keys).Value;
        Assert.Contains($"key: {key}", run.OutLines);
        Assert.Contains("This is the only time the key is shown", run.Err);
        Assert.DoesNotContain(key, run.Err);
        var row = Assert.Single(run.OutLines, l => l.Contains(name, StringComparison.Ordinal));
        Assert.Contains("ep1=readwrite", row);

        Assert.Equal(200, (await fixture.Host.SendWithKeyAsync(HttpMethod.Post, "/v2/ep1/run", key)).Status);
        Assert.Equal("scope_denied", (await fixture.Host.SendWithKeyAsync(HttpMethod.Get, "/v2/ep2/status", key)).Code);
    }

    [Fact]
    public async Task Create_Json_IsTheAdminApisViewPlusTheKey()
    {
        var name = CliFixture.UniqueName("cli-json");
        var run = await fixture.RunAsync("create", "--name", name, "--preset", "readonly", "--json");

        Assert.True(run.Exit == 0, run.ToString());
        var created = run.Json.AsObject();
        Assert.StartsWith("rpa_", (string?)created["key"]);
        Assert.Equal("readonly", (string?)created["permission"]);
        created.Remove("key");
        Assert.True(JsonNode.DeepEquals(created, await fixture.AdminGetAsync($"/admin/keys/{created["id"]}")), run.Out);
    }

    [Fact]
    public async Task ListAndShow_Tables_HaveHeadersAndTheKeysRow()
    {
        var name = CliFixture.UniqueName("cli-list");
        var (key, id) = await fixture.CreateKeyAsync(name);

        foreach (var run in new[] { await fixture.RunAsync("list"), await fixture.RunAsync("show", id) })
        {
            Assert.True(run.Exit == 0, run.ToString());
            AssertHeaders(run.OutLines[0]);
            var row = Assert.Single(run.OutLines, l => l.StartsWith(id, StringComparison.Ordinal));
            Assert.Matches($@"^{id}\s+{name}\s+rpa\s+{Regex.Escape(key[..8])}\s+restricted\s+none\s+ep1=readwrite\s+yes\s", row);
            Assert.Matches(@"\snever\s+never\s+-\s+any$", row);
        }
    }

    [Fact]
    public async Task ListAndShow_Json_MatchTheAdminApi()
    {
        var (_, id) = await fixture.CreateKeyAsync(CliFixture.UniqueName("cli-listjson"));

        var list = await fixture.RunAsync("list", "--json");
        Assert.True(list.Exit == 0, list.ToString());
        var api = await fixture.AdminGetAsync("/admin/keys");
        Assert.Equal(Ids(api), Ids(list.Json));
        var mine = list.Json["keys"]!.AsArray().Single(k => (string?)k!["id"] == id);
        Assert.True(JsonNode.DeepEquals(mine, api["keys"]!.AsArray().Single(k => (string?)k!["id"] == id)));

        var show = await fixture.RunAsync("show", id, "--json");
        Assert.True(show.Exit == 0, show.ToString());
        Assert.True(JsonNode.DeepEquals(show.Json, await fixture.AdminGetAsync($"/admin/keys/{id}")), show.Out);

        static string[] Ids(JsonNode list) => list["keys"]!.AsArray().Select(k => (string)k!["id"]!).ToArray();
    }

    [Fact]
    public async Task Update_ScopesNameAndExpiry_TakeEffect()
    {
        var (key, id) = await fixture.CreateKeyAsync(CliFixture.UniqueName("cli-update"));
        var renamed = CliFixture.UniqueName("cli-updated");
        var expires = DateTimeOffset.UtcNow.AddDays(7).ToString("yyyy-MM-ddTHH:mm:ssZ");

        var run = await fixture.RunAsync("update", id, "--name", renamed, "--endpoint", "ep1=read", "--expires", expires, "--json");
        Assert.True(run.Exit == 0, run.ToString());
        Assert.Equal(renamed, (string?)run.Json["name"]);
        Assert.True(JsonNode.DeepEquals(new JsonObject { ["ep1"] = "read" }, run.Json["endpoints"]));
        Assert.NotNull(run.Json["expiresAt"]);
        await fixture.Host.EventuallyAnswersAsync(HttpMethod.Post, "/v2/ep1/run", key, 403, "scope_denied");
        Assert.Equal(200, (await fixture.Host.SendWithKeyAsync(HttpMethod.Get, "/v2/ep1/status", key)).Status);

        var never = await fixture.RunAsync("update", id, "--expires", "never", "--json");
        Assert.True(never.Exit == 0, never.ToString());
        Assert.Null(never.Json["expiresAt"]);
    }

    [Fact]
    public async Task DisableThenEnable_TakeEffectThroughTheProxy()
    {
        var (key, id) = await fixture.CreateKeyAsync(CliFixture.UniqueName("cli-toggle"));
        Assert.Equal(200, (await fixture.Host.SendWithKeyAsync(HttpMethod.Get, "/v2/ep1/status", key)).Status);

        var disable = await fixture.RunAsync("disable", id);
        Assert.True(disable.Exit == 0, disable.ToString());
        Assert.Matches(@"\sno\s", Assert.Single(disable.OutLines, l => l.StartsWith(id, StringComparison.Ordinal)));
        await fixture.Host.EventuallyAnswersAsync(HttpMethod.Get, "/v2/ep1/status", key, 403, "key_disabled");

        var enable = await fixture.RunAsync("enable", id, "--json");
        Assert.True(enable.Exit == 0, enable.ToString());
        Assert.True((bool)enable.Json["enabled"]!);
        await fixture.Host.EventuallyAnswersAsync(HttpMethod.Get, "/v2/ep1/status", key, 200);
    }

    [Fact]
    public async Task Delete_KeyIsRefusedThroughTheProxy_AndGone()
    {
        var (key, id) = await fixture.CreateKeyAsync(CliFixture.UniqueName("cli-delete"));

        var run = await fixture.RunAsync("delete", id);
        Assert.True(run.Exit == 0, run.ToString());
        Assert.Equal($"deleted {id}", run.Out.Trim());
        await fixture.Host.EventuallyAnswersAsync(HttpMethod.Get, "/v2/ep1/status", key, 401, "invalid_key");

        var show = await fixture.RunAsync("show", id);
        Assert.True(show.Exit == 1, show.ToString());
        Assert.Contains("404", show.Err);
        Assert.Equal("", show.Out);
    }

    [Fact]
    public async Task Usage_ShowsCountsAfterRequests_TableAndJson()
    {
        var (key, id) = await fixture.CreateKeyAsync(CliFixture.UniqueName("cli-usage"), endpointLevel: "read");
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(200, (await fixture.Host.SendWithKeyAsync(HttpMethod.Get, "/v2/ep1/status", key)).Status);
        }

        Assert.Equal("scope_denied", (await fixture.Host.SendWithKeyAsync(HttpMethod.Post, "/v2/ep1/run", key)).Code);
        await fixture.AwaitUsageAsync(id, allowed: 2, denied: 1);

        var table = await fixture.RunAsync("usage", id);
        Assert.True(table.Exit == 0, table.ToString());
        Assert.StartsWith($"key {id}, last used 20", table.OutLines[0]);
        Assert.Matches(@"^DATE\s+TARGET\s+ALLOWED\s+DENIED$", table.OutLines[1]);
        var rows = table.OutLines.Skip(2).Select(l => Regex.Split(l, @"\s+")).ToList();
        Assert.All(rows, r => Assert.Matches(@"^\d{4}-\d{2}-\d{2}$", r[0]));
        Assert.Equal(2, rows.Where(r => r[1] == "endpoint:ep1").Sum(r => int.Parse(r[2])));
        Assert.Equal(1, rows.Where(r => r[1] == "endpoint:ep1").Sum(r => int.Parse(r[3])));

        var json = await fixture.RunAsync("usage", id, "--days", "7", "--json");
        Assert.True(json.Exit == 0, json.ToString());
        Assert.True(JsonNode.DeepEquals(json.Json, await fixture.AdminGetAsync($"/admin/keys/{id}/usage?days=7")), json.Out);
    }

    private static void AssertHeaders(string line) => Assert.Equal(KeyHeaders, Regex.Split(line, @"\s{2,}"));
}
