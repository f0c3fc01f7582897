using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Gateway.Tests.Admin.Settings;

/// <summary>The editor's "Allowed addresses" field in real Chromium: set, shown in the list, refused with the server's words, cleared.</summary>
[Collection(SettingsCollection.Name)]
public sealed class SettingsAllowedIpsTests(SettingsFixture fixture)
{
    [BrowserFact]
    public async Task CreateWithAddresses_ShownAndEnforced_BadEntryShowsTheServersMessage_EmptyClears()
    {
        await using var session = await fixture.OpenAsync();
        await session.SignInAsync();
        var name = SettingsFixture.UniqueName("ui-allow");

        await session.CreateButton.ClickAsync();
        var editor = session.Dialog("Create API key");
        await editor.GetByLabel("Name", new() { Exact = true }).FillAsync(name);
        await editor.GetByRole(AriaRole.Radio, new() { Name = "All" }).CheckAsync();
        await editor.GetByLabel("Allowed addresses (optional)").FillAsync("10.0.0.0/8,\n2001:DB8::/32");
        await editor.GetByRole(AriaRole.Button, new() { Name = "Create", Exact = true }).ClickAsync();
        var reveal = session.Dialog("Your new API key");
        var key = await reveal.GetByLabel("New API key").InputValueAsync();
        await reveal.GetByRole(AriaRole.Button, new() { Name = "Done" }).ClickAsync();

        var row = session.Row(name);
        await Expect(row).ToContainTextAsync("10.0.0.0/8, 2001:db8::/32");
        var path = "/v2/ep1/" + Guid.NewGuid().ToString("N");
        var refused = await fixture.ProxyAsync(HttpMethod.Get, path, key);
        Assert.Equal("ip_not_allowed", refused.Code);

        await session.ClickRowButtonAsync(name, "Edit " + name);
        var edit = session.Dialog("Edit API key");
        var field = edit.GetByLabel("Allowed addresses (optional)");
        await Expect(field).ToHaveValueAsync("10.0.0.0/8\n2001:db8::/32");
        await field.FillAsync("10.1.2.3/8");
        await edit.GetByRole(AriaRole.Button, new() { Name = "Save", Exact = true }).ClickAsync();
        await Expect(edit.Locator("#ed-error")).ToContainTextAsync("allowedIps");
        await Expect(edit).ToBeVisibleAsync();

        await field.FillAsync("");
        await edit.GetByRole(AriaRole.Button, new() { Name = "Save", Exact = true }).ClickAsync();
        await Expect(edit).ToBeHiddenAsync();
        await Expect(row.Locator("td.allowed-ips")).ToHaveTextAsync("Any");
        await fixture.ProxyEventuallyAsync(HttpMethod.Get, path, key, 200);
        // The refused save is the one problem the page may report: the 400 it showed in the form.
        session.AssertRanClean(problem => problem.StartsWith("response: 400 PATCH", StringComparison.Ordinal));
    }
}
