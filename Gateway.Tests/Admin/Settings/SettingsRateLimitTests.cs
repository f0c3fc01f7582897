using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Gateway.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Gateway.Tests.Admin.Settings;

/// <summary>Rate limits on the Settings page (contract §9) in real Chromium: set in the editor as "100/1s, 5000/1h",
/// shown in the list, enforced through the proxy, refused forms explained, and `limited` in the usage dialog.</summary>
[Collection(SettingsCollection.Name)]
public sealed class SettingsRateLimitTests(SettingsFixture fixture)
{
    [BrowserFact]
    public async Task Create_WithRateLimits_ShowsThemInList_ProxyRefusesOverLimit_UsageShowsLimited()
    {
        await using var session = await fixture.OpenAsync();
        await session.SignInAsync();
        var name = SettingsFixture.UniqueName("ui-rl");

        await session.CreateButton.ClickAsync();
        var editor = session.Dialog("Create API key");
        await editor.GetByLabel("Name", new() { Exact = true }).FillAsync(name);
        await editor.GetByRole(AriaRole.Radio, new() { Name = "Read Only" }).CheckAsync();
        await editor.GetByLabel("Rate limits (optional, up to 3, one per window)").FillAsync("2/1d, 100/1s");
        await editor.GetByRole(AriaRole.Button, new() { Name = "Create", Exact = true }).ClickAsync();
        var reveal = session.Dialog("Your new API key");
        var key = await reveal.GetByLabel("New API key").InputValueAsync();
        Assert.StartsWith("rpa_", key, StringComparison.Ordinal);
        await reveal.GetByRole(AriaRole.Button, new() { Name = "Done" }).ClickAsync();

        var row = session.Row(name);
        var id = await row.GetAttributeAsync("data-key-id");
        var view = await fixture.GetKeyAsync(id!);
        var limits = view["rateLimits"]!.AsArray().Select(l => ((int)l!["requests"]!, (int)l["windowSeconds"]!)).OrderBy(l => l.Item2).ToList();
        Assert.Equal([(100, 1), (2, 86400)], limits);
        await Expect(row.Locator("td.rate-limits")).ToHaveTextAsync(new Regex(@"^(2/1d, 100/1s|100/1s, 2/1d)$"));

        // The daily limit of 2 holds through the proxy: the third request is refused and never forwarded.
        var path = "/v2/ep1/" + Guid.NewGuid().ToString("N");
        Assert.Equal(200, (await fixture.ProxyAsync(HttpMethod.Get, path, key)).Status);
        Assert.Equal(200, (await fixture.ProxyAsync(HttpMethod.Get, path, key)).Status);
        var refused = await fixture.ProxyAsync(HttpMethod.Get, path, key);
        Assert.Equal((429, "rate_limited"), (refused.Status, refused.Code));
        Assert.Equal(2, fixture.Upstream.Received.Count(r => r.Path == path));

        await Eventually.TrueAsync(async () =>
        {
            var usage = await fixture.Host.Admin.GetFromJsonAsync<JsonObject>($"/admin/keys/{id}/usage?days=30");
            var counts = usage!["days"]!.AsArray().Select(d => d!["targets"]!["endpoint:ep1"]).Where(c => c is not null).ToList();
            return counts.Sum(c => (int)c!["allowed"]!) == 2 && counts.Sum(c => (int)c!["limited"]!) == 1;
        }, "the usage API to show 2 allowed and 1 limited");
        await session.ClickRowButtonAsync(name, "Usage of " + name);
        var dialog = session.Dialog($"Usage of {name} (last 30 days)");
        await Expect(dialog.Locator("#usage-summary")).ToHaveTextAsync(new Regex(@"^2 allowed, 0 denied, 1 limited\. Last used: "));
        var chart = dialog.GetByRole(AriaRole.Img, new() { Name = "Requests per day over 30 days: 2 allowed, 0 denied and 1 limited in all." });
        await Expect(chart).ToBeVisibleAsync();
        var limitedBar = chart.Locator("svg rect").Filter(new() { Has = session.Page.Locator("title", new() { HasTextRegex = new Regex(": 1 limited$") }) });
        await Expect(limitedBar).ToHaveCountAsync(1);
        await Expect(dialog.Locator("#usage-table tbody tr").First.GetByRole(AriaRole.Cell)).ToHaveTextAsync(["endpoint:ep1", "2", "0", "1"]);
        session.AssertRanClean();
    }

    [BrowserFact]
    public async Task Edit_MalformedIsExplainedWithoutACall_OutOfRangeShowsServers400_EmptyRemovesLimits()
    {
        var name = SettingsFixture.UniqueName("ui-rle");
        var (key, id) = await fixture.Host.CreateKeyAsync(new
        {
            name,
            endpoints = new Dictionary<string, string> { ["ep1"] = "read" },
            rateLimits = new[] { new { requests = 1, windowSeconds = 60 } },
        });
        await using var session = await fixture.OpenAsync();
        await session.SignInAsync();
        var row = session.Row(name);
        await Expect(row.Locator("td.rate-limits")).ToHaveTextAsync("1/1m");

        await session.ClickRowButtonAsync(name, "Edit " + name);
        var editor = session.Dialog("Edit API key");
        var field = editor.GetByLabel("Rate limits (optional, up to 3, one per window)");
        await Expect(field).ToHaveValueAsync("1/1m");
        var save = editor.GetByRole(AriaRole.Button, new() { Name = "Save", Exact = true });
        var patches = 0;
        session.Page.Request += (_, request) =>
        {
            if (request.Method == "PATCH")
            {
                Interlocked.Increment(ref patches);
            }
        };

        await field.FillAsync("100 per second");
        await save.ClickAsync();
        await Expect(editor.Locator("#ed-error")).ToHaveTextAsync(new Regex("^rateLimits: \"100\" is not REQUESTS/WINDOW"));
        Assert.Equal(0, Volatile.Read(ref patches));

        // The form is right but the number is out of range: the server's 400 names rateLimits and is shown as it is.
        await field.FillAsync("0/1s");
        await save.ClickAsync();
        await Expect(editor.Locator("#ed-error")).ToContainTextAsync("rateLimits");
        await Expect(editor).ToBeVisibleAsync();
        Assert.Equal(1, (int)(await fixture.GetKeyAsync(id))["rateLimits"]!.AsArray().Count);

        await field.FillAsync("");
        await save.ClickAsync();
        await Expect(editor).ToBeHiddenAsync();
        await Expect(row.Locator("td.rate-limits")).ToHaveTextAsync("None");
        Assert.Empty((await fixture.GetKeyAsync(id))["rateLimits"]!.AsArray());
        // Within 1 s every instance enforces the change: two requests in a minute now both pass.
        var path = "/v2/ep1/" + Guid.NewGuid().ToString("N");
        await fixture.ProxyEventuallyAsync(HttpMethod.Get, path, key, 200);
        Assert.Equal(200, (await fixture.ProxyAsync(HttpMethod.Get, path, key)).Status);
        session.AssertRanClean(problem => problem.StartsWith("response: 400 PATCH", StringComparison.Ordinal));
    }
}
