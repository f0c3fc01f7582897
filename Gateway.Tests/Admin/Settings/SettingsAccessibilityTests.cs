using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Gateway.Tests.Admin.Settings;

/// <summary>Keyboard use, visible focus, accessible names, and the forms' own checks.</summary>
[Collection(SettingsCollection.Name)]
public sealed class SettingsAccessibilityTests(SettingsFixture fixture)
{
    private const string FocusIsVisible = """
        () => {
          const e = document.activeElement, s = getComputedStyle(e);
          return e.matches(":focus-visible") && s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2;
        }
        """;

    [BrowserFact]
    public async Task Keyboard_SignInAndOpenCreate_FocusIsVisibleAtEveryStep()
    {
        await using var session = await fixture.OpenAsync();
        var page = session.Page;
        var token = page.GetByLabel("Admin token", new() { Exact = true });
        await Expect(token).ToBeFocusedAsync();

        // From the top of the page, Tab reaches the token field first, then the Sign in button.
        await page.GetByRole(AriaRole.Heading, new() { Name = "API keys" }).ClickAsync();
        await page.Keyboard.PressAsync("Tab");
        await Expect(token).ToBeFocusedAsync();
        Assert.True(await page.EvaluateAsync<bool>(FocusIsVisible), "the token field's focus is not visible");
        await page.Keyboard.TypeAsync(Infrastructure.GatewayHost.AdminToken);
        await page.Keyboard.PressAsync("Tab");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true })).ToBeFocusedAsync();
        Assert.True(await page.EvaluateAsync<bool>(FocusIsVisible), "the Sign in button's focus is not visible");
        await page.Keyboard.PressAsync("Enter");

        await Expect(session.CreateButton).ToBeFocusedAsync();
        Assert.True(await page.EvaluateAsync<bool>(FocusIsVisible), "the Create button's focus is not visible");
        await page.Keyboard.PressAsync("Enter");
        var editor = session.Dialog("Create API key");
        await Expect(editor.GetByRole(AriaRole.Textbox, new() { Name = "Name", Exact = true })).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Escape");
        await Expect(editor).ToBeHiddenAsync();
        await Expect(session.CreateButton).ToBeFocusedAsync();
        session.AssertRanClean();
    }

    [BrowserFact]
    public async Task Controls_AreLabelled_SoTheyCanBeFoundByRoleAndName()
    {
        var name = SettingsFixture.UniqueName("ui-a11y");
        await fixture.Host.CreateKeyAsync(new { name });
        await using var session = await fixture.OpenAsync();
        var page = session.Page;
        await Expect(page.GetByRole(AriaRole.Textbox, new() { Name = "Admin token" })).ToBeVisibleAsync();
        await session.SignInAsync();

        await Expect(session.CreateButton).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Sign out" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Table).GetByRole(AriaRole.Columnheader))
            .ToHaveTextAsync(["Name", "Key", "Type", "Permission", "Created", "Last used", "Expires", "Enabled", "Addresses", "Rate limits", "Actions"]);
        var row = session.Row(name);
        await Expect(row.GetByRole(AriaRole.Switch, new() { Name = "Disable " + name, Exact = true })).ToBeVisibleAsync();
        foreach (var label in new[] { "Usage of ", "Edit ", "Delete " })
        {
            await Expect(row.GetByRole(AriaRole.Button, new() { Name = label + name, Exact = true })).ToBeVisibleAsync();
        }

        await session.CreateButton.ClickAsync();
        var editor = session.Dialog("Create API key");
        await Expect(editor.GetByRole(AriaRole.Textbox, new() { Name = "Name", Exact = true })).ToBeVisibleAsync();
        var permission = editor.GetByRole(AriaRole.Group, new() { Name = "Permission" });
        foreach (var preset in new[] { "All", "Restricted", "Read Only" })
        {
            await Expect(permission.GetByRole(AriaRole.Radio, new() { Name = preset, Exact = true })).ToBeVisibleAsync();
        }

        await Expect(editor.GetByRole(AriaRole.Combobox, new() { Name = "GraphQL (management API)" })).ToBeVisibleAsync();
        await Expect(editor.GetByRole(AriaRole.Combobox, new() { Name = "Serverless endpoints: all" })).ToBeVisibleAsync();
        await Expect(editor.GetByLabel("Expires (optional, your local time)")).ToBeVisibleAsync();
        await Expect(editor.GetByRole(AriaRole.Textbox, new() { Name = "Rate limits (optional, up to 3, one per window)" })).ToBeVisibleAsync();
        await editor.GetByRole(AriaRole.Button, new() { Name = "+ Add endpoint" }).ClickAsync();
        var rows = editor.GetByRole(AriaRole.Group, new() { Name = "Per-endpoint access" });
        await Expect(rows.GetByRole(AriaRole.Textbox, new() { Name = "Endpoint id" })).ToBeFocusedAsync();
        await Expect(rows.GetByRole(AriaRole.Combobox, new() { Name = "Access for this endpoint" })).ToBeVisibleAsync();
        await Expect(rows.GetByRole(AriaRole.Button, new() { Name = "Remove endpoint row" })).ToBeVisibleAsync();
        session.AssertRanClean();
    }

    [BrowserFact]
    public async Task SignIn_WrongToken_SaysSoAndKeepsTheKeysHidden()
    {
        await using var session = await fixture.OpenAsync();
        var page = session.Page;
        await page.GetByLabel("Admin token", new() { Exact = true }).FillAsync("not-the-admin-token");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Alert).Filter(new() { HasTextString = "refused" }))
            .ToHaveTextAsync("Your admin token was refused. Sign in again.");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Keys", Exact = true })).ToBeHiddenAsync();
        await Expect(page.GetByLabel("Admin token", new() { Exact = true })).ToBeFocusedAsync();
        await Expect(page.GetByLabel("Admin token", new() { Exact = true })).ToHaveValueAsync("");
        session.AssertRanClean(problem => problem.StartsWith("response: 401 GET", StringComparison.Ordinal));
    }

    [BrowserFact]
    public async Task CreateDialog_BadEndpointId_IsCaughtByTheFormBeforeAnyCall()
    {
        await using var session = await fixture.OpenAsync();
        await session.SignInAsync();
        var name = SettingsFixture.UniqueName("ui-badid");
        await session.CreateButton.ClickAsync();
        var editor = session.Dialog("Create API key");
        await editor.GetByLabel("Name", new() { Exact = true }).FillAsync(name);
        await editor.GetByRole(AriaRole.Button, new() { Name = "+ Add endpoint" }).ClickAsync();
        var endpoint = editor.GetByLabel("Endpoint id");
        await endpoint.FillAsync("not/an id");

        var posts = 0;
        session.Page.Request += (_, request) => Interlocked.Add(ref posts, request.Method == "POST" ? 1 : 0);
        await editor.GetByRole(AriaRole.Button, new() { Name = "Create", Exact = true }).ClickAsync();
        Assert.True(await endpoint.EvaluateAsync<bool>("e => e.validity.patternMismatch"), "the endpoint id field does not check its pattern");
        await Expect(editor).ToBeVisibleAsync();

        await endpoint.FillAsync("ep-1_ok");
        await editor.GetByRole(AriaRole.Button, new() { Name = "Create", Exact = true }).ClickAsync();
        await Expect(session.Dialog("Your new API key")).ToBeVisibleAsync();
        Assert.Equal(1, Volatile.Read(ref posts)); // only the valid attempt reached the admin API
        session.AssertRanClean();
    }
}
