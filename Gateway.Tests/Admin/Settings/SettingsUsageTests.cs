using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Gateway.Tests.Infrastructure;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Gateway.Tests.Admin.Settings;

/// <summary>The usage dialog, fed by real requests through the proxy and the usage flusher.</summary>
[Collection(SettingsCollection.Name)]
public sealed class SettingsUsageTests(SettingsFixture fixture, ITestOutputHelper output)
{
    [BrowserFact]
    public async Task UsageDialog_AfterAllowedAndDeniedRequests_ShowsTotalsAndBars()
    {
        var name = SettingsFixture.UniqueName("ui-usage");
        var (key, id) = await fixture.Host.CreateKeyAsync(new { name, endpoints = new Dictionary<string, string> { ["ep1"] = "read" } });
        var days = await SendAndAwaitUsageAsync(key, id, allowed: 3, denied: 2);
        await using var session = await fixture.OpenAsync();
        await session.SignInAsync();

        await session.ClickRowButtonAsync(name, "Usage of " + name);
        var dialog = session.Dialog($"Usage of {name} (last 30 days)");
        await Expect(dialog.Locator("#usage-summary")).ToHaveTextAsync(new Regex(@"^3 allowed, 2 denied, 0 limited\. Last used: "));
        var chart = dialog.GetByRole(AriaRole.Img, new() { Name = "Requests per day over 30 days: 3 allowed, 2 denied and 0 limited in all." });
        await Expect(chart).ToBeVisibleAsync();
        await Expect(chart.Locator("svg rect")).ToHaveCountAsync(90);
        // One day, unless the requests straddled midnight UTC: each day's bars carry that day's counts.
        foreach (var title in days.SelectMany(d => new[] { $"{d.Date}: {d.Allowed} allowed", $"{d.Date}: {d.Denied} denied" }))
        {
            var bar = chart.Locator("svg rect").Filter(new() { Has = session.Page.Locator("title", new() { HasTextString = title }) });
            await Expect(bar).ToHaveCountAsync(1);
            var height = double.Parse(await bar.GetAttributeAsync("height") ?? "0", System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(height > 0 || title.Contains(": 0 ", StringComparison.Ordinal), $"the bar '{title}' has no height");
        }

        var target = dialog.GetByRole(AriaRole.Row).Filter(new() { Has = session.Page.GetByRole(AriaRole.Cell, new() { Name = "endpoint:ep1", Exact = true }) });
        await Expect(target.GetByRole(AriaRole.Cell)).ToHaveTextAsync(["endpoint:ep1", "3", "2", "0"]);
        await SettingsFixture.SaveScreenshotAsync(session.Page, "settings-usage.png", output);
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Close" }).ClickAsync();
        await Expect(dialog).ToBeHiddenAsync();
        session.AssertRanClean();
    }

    [BrowserFact]
    public async Task UsageDialog_KeyPastMaxTargetsPerKey_ShowsOtherLikeAnyTarget()
    {
        // A gateway of its own with a cap of 2 targets per key and day, so a few requests reach 'other'.
        await using var host = new GatewayHost(GatewayHost.WriteConfig(fixture.Upstream.Address), TestStore.Configuration, TestStore.UniquePrefix(),
            new Dictionary<string, string?> { ["Usage:MaxTargetsPerKey"] = "2" }).Start();
        var name = SettingsFixture.UniqueName("ui-other");
        var (key, id) = await host.CreateKeyAsync(new { name, endpoints = new Dictionary<string, string> { ["ep1"] = "read" } });
        (HttpMethod Method, string Path, int Status)[] requests =
        [
            (HttpMethod.Get, "/v2/ep1/status", 200), (HttpMethod.Get, "/v2/ep1/status", 200), (HttpMethod.Post, "/v2/ep2/run", 403),
            (HttpMethod.Post, "/v2/ep3/run", 403), (HttpMethod.Post, "/v2/ep3/run", 403), (HttpMethod.Get, "/v2/ep4/status", 403),
        ];
        foreach (var (method, path, status) in requests)
        {
            Assert.Equal(status, (await host.SendWithKeyAsync(method, path, key)).Status);
        }

        await Eventually.TrueAsync(async () =>
        {
            var usage = await host.Admin.GetFromJsonAsync<JsonObject>($"/admin/keys/{id}/usage?days=2");
            return usage!["days"]!.AsArray().Sum(d => (int?)d!["targets"]!["other"]?["denied"] ?? 0) == 3;
        }, "the usage API to show 3 denied under other");

        await using var session = await fixture.OpenAsync(host);
        await session.SignInAsync();
        await session.ClickRowButtonAsync(name, "Usage of " + name);
        var dialog = session.Dialog($"Usage of {name} (last 30 days)");
        await Expect(dialog.Locator("#usage-summary")).ToHaveTextAsync(new Regex(@"^2 allowed, 4 denied, 0 limited\. Last used: "));
        await Expect(dialog.GetByRole(AriaRole.Img, new() { Name = "Requests per day over 30 days: 2 allowed, 4 denied and 0 limited in all." })).ToBeVisibleAsync();
        var rows = dialog.Locator("#usage-table tbody tr");
        await Expect(rows).ToHaveCountAsync(3);
        await Expect(rows.Nth(0).GetByRole(AriaRole.Cell)).ToHaveTextAsync(["endpoint:ep1", "2", "0", "0"]);
        await Expect(rows.Nth(1).GetByRole(AriaRole.Cell)).ToHaveTextAsync(["endpoint:ep2", "0", "1", "0"]);
        await Expect(rows.Nth(2).GetByRole(AriaRole.Cell)).ToHaveTextAsync(["other", "0", "3", "0"]);
        await Expect(rows.Nth(2).GetByRole(AriaRole.Cell).First).ToHaveAttributeAsync("title", new Regex("per-key daily limit"));
        session.AssertRanClean();
        File.Delete(host.ConfigPath);
    }

    [BrowserFact]
    public async Task UsageDialog_ForAnotherKey_DoesNotShowThePreviousKeysTotalsWhileLoading()
    {
        var busy = SettingsFixture.UniqueName("ui-busy");
        var (key, id) = await fixture.Host.CreateKeyAsync(new { name = busy, endpoints = new Dictionary<string, string> { ["ep1"] = "read" } });
        await SendAndAwaitUsageAsync(key, id, allowed: 1, denied: 1);
        var idle = SettingsFixture.UniqueName("ui-idle");
        var (_, idleId) = await fixture.Host.CreateKeyAsync(new { name = idle });
        await using var session = await fixture.OpenAsync();
        await session.SignInAsync();
        var summary = session.Page.Locator("#usage-summary");

        await session.ClickRowButtonAsync(busy, "Usage of " + busy);
        await Expect(summary).ToContainTextAsync("1 allowed, 1 denied, 0 limited.");
        await session.Dialog($"Usage of {busy} (last 30 days)").GetByRole(AriaRole.Button, new() { Name = "Close" }).ClickAsync();

        // The idle key's usage answer is held back, so the dialog is seen exactly as it is while it loads.
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await session.Page.RouteAsync($"**/admin/keys/{idleId}/usage*", async route =>
        {
            held.TrySetResult();
            await release.Task;
            await route.ContinueAsync();
        });
        await session.ClickRowButtonAsync(idle, "Usage of " + idle);
        await Expect(session.Dialog($"Usage of {idle} (last 30 days)")).ToBeVisibleAsync();
        await held.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await Expect(summary).ToHaveTextAsync("Loading usage…");
        release.SetResult();
        await Expect(summary).ToHaveTextAsync("0 allowed, 0 denied, 0 limited. Last used: Never.");
        session.AssertRanClean();
    }

    /// <summary>Sends allowed GETs and scope-denied POSTs on ep1, waits until the usage API counts them, returns the days.</summary>
    private async Task<List<(string Date, int Allowed, int Denied)>> SendAndAwaitUsageAsync(string key, string id, int allowed, int denied)
    {
        for (var i = 0; i < allowed; i++)
        {
            Assert.Equal(200, (await fixture.ProxyAsync(HttpMethod.Get, "/v2/ep1/status", key)).Status);
        }

        for (var i = 0; i < denied; i++)
        {
            Assert.Equal("scope_denied", (await fixture.ProxyAsync(HttpMethod.Post, "/v2/ep1/run", key)).Code);
        }

        var days = new List<(string Date, int Allowed, int Denied)>();
        await Eventually.TrueAsync(async () =>
        {
            var usage = await fixture.Host.Admin.GetFromJsonAsync<JsonObject>($"/admin/keys/{id}/usage?days=30");
            days = usage!["days"]!.AsArray()
                .Select(d => ((string)d!["date"]!, d["targets"]!["endpoint:ep1"]))
                .Where(d => d.Item2 is not null)
                .Select(d => (d.Item1, (int)d.Item2!["allowed"]!, (int)d.Item2!["denied"]!))
                .ToList();
            return days.Sum(d => d.Allowed) == allowed && days.Sum(d => d.Denied) == denied;
        }, $"the usage API to show {allowed} allowed and {denied} denied");
        return days;
    }
}
