using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Gateway.Tests.Admin.Settings;

/// <summary>The Roll action in real Chromium: grace choices, the new key shown once, the old row's countdown, proved through the proxy.</summary>
[Collection(SettingsCollection.Name)]
public sealed class SettingsRollTests(SettingsFixture fixture)
{
    [BrowserFact]
    public async Task Roll_With24Hours_RevealsTheNewKeyOnce_MarksTheOldRow_AndBothKeysWork()
    {
        var name = SettingsFixture.UniqueName("ui-roll");
        var (oldKey, oldId) = await fixture.Host.CreateKeyAsync(new { name, graphql = "none", endpoints = new Dictionary<string, string> { ["ep1"] = "readwrite" } });
        await using var session = await fixture.OpenAsync();
        await session.SignInAsync();

        await session.ClickRowButtonAsync(name, "Roll " + name);
        var dialog = session.Dialog("Roll API key");
        await Expect(dialog.GetByRole(AriaRole.Radio, new() { Name = "Now (stops at once)" })).ToBeCheckedAsync();
        foreach (var choice in new[] { "1 hour", "24 hours", "7 days" })
        {
            await Expect(dialog.GetByRole(AriaRole.Radio, new() { Name = choice, Exact = true })).ToBeVisibleAsync();
        }

        await dialog.GetByRole(AriaRole.Radio, new() { Name = "24 hours", Exact = true }).CheckAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Roll key", Exact = true }).ClickAsync();

        var reveal = session.Dialog("Your new API key");
        var shown = reveal.GetByLabel("New API key");
        await Expect(shown).ToHaveValueAsync(new Regex("^rpa_[0-9A-Za-z]{36}$"));
        var newKey = await shown.InputValueAsync();
        var oldRow = session.Page.Locator($"#key-table tbody tr[data-key-id='{oldId}']");
        await Expect(oldRow.Locator("td.expires")).ToHaveTextAsync("Replaced, expires in 24 hours");
        await Expect(oldRow.GetByRole(AriaRole.Button, new() { Name = "Roll " + name, Exact = true })).ToHaveCountAsync(0);
        var newView = await fixture.GetKeyAsync((string)(await fixture.GetKeyAsync(oldId))["replacedBy"]!);
        var newRow = session.Page.Locator($"#key-table tbody tr[data-key-id='{(string)newView["id"]!}']");
        await Expect(newRow).ToContainTextAsync(newKey[..8] + "…");
        await Expect(newRow.GetByRole(AriaRole.Button, new() { Name = "Roll " + name, Exact = true })).ToBeVisibleAsync();

        await reveal.GetByRole(AriaRole.Button, new() { Name = "Done" }).ClickAsync();
        await Expect(reveal).ToBeHiddenAsync();
        Assert.False(await session.PageHoldsAsync(newKey), "the new plaintext key is still on the page after the reveal dialog closed");

        var path = "/v2/ep1/" + Guid.NewGuid().ToString("N");
        Assert.Equal(200, (await fixture.ProxyAsync(HttpMethod.Post, path, newKey)).Status);
        Assert.Equal(200, (await fixture.ProxyAsync(HttpMethod.Post, path, oldKey)).Status);
        session.AssertRanClean();
    }

    [BrowserFact]
    public async Task Roll_Now_StopsTheOldKeyAtOnce()
    {
        var name = SettingsFixture.UniqueName("ui-rollnow");
        var (oldKey, oldId) = await fixture.Host.CreateKeyAsync(new { name, graphql = "read" });
        await using var session = await fixture.OpenAsync();
        await session.SignInAsync();

        await session.ClickRowButtonAsync(name, "Roll " + name);
        var dialog = session.Dialog("Roll API key");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Roll key", Exact = true }).ClickAsync();

        var reveal = session.Dialog("Your new API key");
        var newKey = await reveal.GetByLabel("New API key").InputValueAsync();
        await Expect(session.Page.Locator($"#key-table tbody tr[data-key-id='{oldId}'] td.expires")).ToHaveTextAsync("Replaced, expired");
        await reveal.GetByRole(AriaRole.Button, new() { Name = "Done" }).ClickAsync();
        await Expect(session.Message).ToContainTextAsync("the old key stopped working");

        await fixture.ProxyEventuallyAsync(HttpMethod.Get, "/graphql?query=%7Ba%7D", oldKey, 403, "key_expired");
        Assert.Equal(200, (await fixture.ProxyAsync(HttpMethod.Get, "/graphql?query=%7Ba%7D", newKey)).Status);
        session.AssertRanClean();
    }

    [BrowserFact]
    public async Task Roll_OfADisabledKey_ShowsTheRefusal_InTheDialog()
    {
        var name = SettingsFixture.UniqueName("ui-rolloff");
        await fixture.Host.CreateKeyAsync(new { name, enabled = false });
        await using var session = await fixture.OpenAsync();
        await session.SignInAsync();

        await session.ClickRowButtonAsync(name, "Roll " + name);
        var dialog = session.Dialog("Roll API key");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Roll key", Exact = true }).ClickAsync();

        await Expect(dialog.GetByRole(AriaRole.Alert)).ToContainTextAsync("Only an enabled, unexpired key can be rolled");
        await Expect(session.Dialog("Your new API key")).ToBeHiddenAsync();
        // The refused call is a 409 the browser logs as a failed resource load; nothing else may be reported.
        session.AssertRanClean(p => p.StartsWith("response: 409 POST", StringComparison.Ordinal));
    }
}
