using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Gateway.Tests.Admin.Settings;

/// <summary>The key list's journeys in real Chromium, each proved where it matters: through the proxy.</summary>
[Collection(SettingsCollection.Name)]
public sealed class SettingsKeyTests(SettingsFixture fixture)
{
    [BrowserFact]
    public async Task CreateRestricted_RevealsKeyOnce_ThenSliderDisablesAndEnablesItThroughTheProxy()
    {
        await using var session = await fixture.OpenAsync();
        await session.SignInAsync();
        var name = SettingsFixture.UniqueName("ui-create");

        await session.CreateButton.ClickAsync();
        var editor = session.Dialog("Create API key");
        await editor.GetByLabel("Name", new() { Exact = true }).FillAsync(name);
        await Expect(editor.GetByRole(AriaRole.Radio, new() { Name = "Restricted" })).ToBeCheckedAsync();
        await editor.GetByLabel("GraphQL (management API)").SelectOptionAsync("none");
        await editor.GetByRole(AriaRole.Button, new() { Name = "+ Add endpoint" }).ClickAsync();
        await editor.GetByLabel("Endpoint id").FillAsync("ep1");
        await editor.GetByLabel("Access for this endpoint").SelectOptionAsync(new SelectOptionValue { Label = "Read / Write" });
        await editor.GetByRole(AriaRole.Button, new() { Name = "Create", Exact = true }).ClickAsync();

        var reveal = session.Dialog("Your new API key");
        var shown = reveal.GetByLabel("New API key");
        await Expect(shown).ToHaveValueAsync(new Regex("^rpa_[0-9A-Za-z]{36}$"));
        var key = await shown.InputValueAsync();
        var row = session.Row(name);
        await Expect(row).ToContainTextAsync(key[..8] + "…");
        await Expect(row).ToContainTextAsync("Restricted");

        var id = await row.GetAttributeAsync("data-key-id");
        var view = await fixture.GetKeyAsync(id!);
        Assert.Equal("none", (string?)view["graphql"]);
        Assert.True(JsonNode.DeepEquals(new JsonObject { ["ep1"] = "readwrite" }, view["endpoints"]), view.ToJsonString());

        await reveal.GetByRole(AriaRole.Button, new() { Name = "Done" }).ClickAsync();
        await Expect(reveal).ToBeHiddenAsync();
        Assert.False(await session.PageHoldsAsync(key), "the plaintext key is still on the page after the reveal dialog closed");

        var path = "/v2/ep1/" + Guid.NewGuid().ToString("N");
        Assert.Equal(200, (await fixture.ProxyAsync(HttpMethod.Post, path, key)).Status);

        var slider = row.GetByRole(AriaRole.Switch);
        await Expect(slider).ToBeCheckedAsync();
        await row.GetByRole(AriaRole.Switch, new() { Name = "Disable " + name, Exact = true }).ClickAsync();
        await Expect(slider).ToBeCheckedAsync(new() { Checked = false });
        await Expect(session.Message).ToHaveTextAsync($"{name} is disabled.");
        await fixture.ProxyEventuallyAsync(HttpMethod.Get, path, key, 403, "key_disabled");

        var before = fixture.Upstream.Received.Count(r => r.Path == path);
        // Back on by keyboard: Space on the focused switch, which keeps the focus.
        await row.GetByRole(AriaRole.Switch, new() { Name = "Enable " + name, Exact = true }).FocusAsync();
        await session.Page.Keyboard.PressAsync("Space");
        await Expect(slider).ToBeCheckedAsync();
        await Expect(session.Message).ToHaveTextAsync($"{name} is enabled.");
        await Expect(row.GetByRole(AriaRole.Switch, new() { Name = "Disable " + name, Exact = true })).ToBeFocusedAsync();
        await fixture.ProxyEventuallyAsync(HttpMethod.Get, path, key, 200);
        Assert.True(fixture.Upstream.Received.Count(r => r.Path == path) > before, "the re-enabled key's request did not reach the upstream");
        session.AssertRanClean();
    }

    [BrowserFact]
    public async Task EditScopes_EndpointToRead_DeniesPostAllowsGetThroughTheProxy()
    {
        var name = SettingsFixture.UniqueName("ui-edit");
        var (key, id) = await fixture.Host.CreateKeyAsync(new { name, graphql = "none", endpoints = new Dictionary<string, string> { ["ep1"] = "readwrite" } });
        var path = "/v2/ep1/" + Guid.NewGuid().ToString("N");
        Assert.Equal(200, (await fixture.ProxyAsync(HttpMethod.Post, path, key)).Status);
        await using var session = await fixture.OpenAsync();
        await session.SignInAsync();

        await session.ClickRowButtonAsync(name, "Edit " + name);
        var editor = session.Dialog("Edit API key");
        await Expect(editor.GetByLabel("Name", new() { Exact = true })).ToHaveValueAsync(name);
        await Expect(editor.GetByRole(AriaRole.Radio, new() { Name = "Restricted" })).ToBeCheckedAsync();
        await Expect(editor.GetByLabel("Endpoint id")).ToHaveValueAsync("ep1");
        var access = editor.GetByLabel("Access for this endpoint");
        await Expect(access).ToHaveValueAsync("readwrite");
        await access.SelectOptionAsync(new SelectOptionValue { Label = "Read" });
        await editor.GetByRole(AriaRole.Button, new() { Name = "Save", Exact = true }).ClickAsync();
        await Expect(editor).ToBeHiddenAsync();
        await Expect(session.Message).ToHaveTextAsync($"Saved {name}.");
        await Expect(session.Row(name).GetByRole(AriaRole.Button, new() { Name = "Edit " + name, Exact = true })).ToBeFocusedAsync();

        Assert.True(JsonNode.DeepEquals(new JsonObject { ["ep1"] = "read" }, (await fixture.GetKeyAsync(id))["endpoints"]));
        await fixture.ProxyEventuallyAsync(HttpMethod.Post, path, key, 403, "scope_denied");
        Assert.Equal(200, (await fixture.ProxyAsync(HttpMethod.Get, path, key)).Status);
        session.AssertRanClean();
    }

    [BrowserFact]
    public async Task EditLegacy_HidesScopesExplainsWhy_AndStillRenames()
    {
        var name = SettingsFixture.UniqueName("ui-legacy");
        var legacy = "legacy-" + Guid.NewGuid().ToString("N");
        var id = await fixture.ImportLegacyAsync(legacy, name);
        await using var session = await fixture.OpenAsync();
        await session.SignInAsync();
        await Expect(session.Row(name)).ToContainTextAsync("Legacy");

        await session.ClickRowButtonAsync(name, "Edit " + name);
        var editor = session.Dialog("Edit API key");
        await Expect(editor.GetByText("This is a legacy key")).ToBeVisibleAsync();
        await Expect(editor.GetByText("This is a legacy key")).ToContainTextAsync("Only its name and whether it is enabled can change");
        await Expect(editor.GetByRole(AriaRole.Group, new() { Name = "Permission" })).ToBeHiddenAsync();
        await Expect(editor.GetByLabel("GraphQL (management API)")).ToBeHiddenAsync();
        await Expect(editor.GetByRole(AriaRole.Radio, new() { Name = "All" })).ToBeHiddenAsync();
        await Expect(editor.GetByLabel("Expires (optional, your local time)")).ToBeDisabledAsync();

        var renamed = name + "-r";
        await editor.GetByLabel("Name", new() { Exact = true }).FillAsync(renamed);
        await editor.GetByRole(AriaRole.Button, new() { Name = "Save", Exact = true }).ClickAsync();
        await Expect(editor).ToBeHiddenAsync();
        await Expect(session.Message).ToHaveTextAsync($"Saved {renamed}.");
        await Expect(session.Row(renamed)).ToBeVisibleAsync();

        var view = await fixture.GetKeyAsync(id);
        Assert.Equal(renamed, (string?)view["name"]);
        Assert.Equal("read", (string?)view["graphql"]);
        Assert.Equal(200, (await fixture.ProxyAsync(HttpMethod.Post, "/v2/any/run", legacy)).Status);
        session.AssertRanClean();
    }

    [BrowserFact]
    public async Task Delete_AsksFirst_CancelKeepsKey_ConfirmRemovesRowAndKeyIsRefused()
    {
        var name = SettingsFixture.UniqueName("ui-delete");
        var (key, id) = await fixture.Host.CreateKeyAsync(new { name, endpoints = new Dictionary<string, string> { ["*"] = "read" } });
        await using var session = await fixture.OpenAsync();
        await session.SignInAsync();

        var confirm = session.Dialog("Delete API key?");
        await session.ClickRowButtonAsync(name, "Delete " + name);
        await Expect(confirm).ToContainTextAsync($"{name} ({key[..8]}…) stops working at once");
        await Expect(confirm.GetByRole(AriaRole.Button, new() { Name = "Cancel" })).ToBeFocusedAsync();
        await confirm.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        await Expect(confirm).ToBeHiddenAsync();
        await Expect(session.Row(name)).ToHaveCountAsync(1);
        Assert.Equal(200, (await fixture.ProxyAsync(HttpMethod.Get, "/v2/ep1/status", key)).Status);

        await session.ClickRowButtonAsync(name, "Delete " + name);
        await confirm.GetByRole(AriaRole.Button, new() { Name = "Delete", Exact = true }).ClickAsync();
        await Expect(session.Row(name)).ToHaveCountAsync(0);
        await Expect(session.Message).ToHaveTextAsync($"Deleted {name}.");
        await Expect(session.CreateButton).ToBeFocusedAsync();
        await fixture.ProxyEventuallyAsync(HttpMethod.Get, "/v2/ep1/status", key, 401, "invalid_key");
        using var gone = await fixture.Host.Admin.GetAsync($"/admin/keys/{id}");
        Assert.Equal(System.Net.HttpStatusCode.NotFound, gone.StatusCode);
        var list = await fixture.Host.Admin.GetFromJsonAsync<JsonObject>("/admin/keys");
        Assert.DoesNotContain(list!["keys"]!.AsArray(), k => (string?)k!["id"] == id);
        session.AssertRanClean();
    }
}
