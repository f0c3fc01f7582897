using Gateway.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Gateway.Tests.Admin.Settings;

/// <summary>
/// The Settings page signed in with a viewer credential, in real Chromium: the keys and their usage are shown, no
/// write control is, and the page says why. Its own gateway, with a named viewer and a named admin credential.
/// </summary>
[Collection(SettingsCollection.Name)]
public sealed class SettingsViewerTests(SettingsFixture fixture)
{
    [BrowserFact]
    public async Task Viewer_SeesKeysAndUsage_NoWriteControls_AndANoteSayingWhy()
    {
        await using var host = StartHost(fixture.Upstream);
        await host.CreateKeyAsync(new { name = "seen-by-viewer", graphql = "read" });
        await using var session = await fixture.OpenAsync(host);

        await session.SignInAsync(AdminCredentialTests.ViewerToken);

        var row = session.Row("seen-by-viewer");
        await Expect(row).ToBeVisibleAsync();
        await Expect(session.Page.Locator("#read-only")).ToHaveTextAsync(
            "Read-only: this credential (auditor) is a viewer. It can see keys and their usage, but not create, change or delete them.");
        await Expect(session.CreateButton).ToBeHiddenAsync();
        await Expect(row.GetByRole(AriaRole.Switch)).ToHaveCountAsync(0);
        await Expect(row.GetByRole(AriaRole.Button, new() { Name = "Edit seen-by-viewer", Exact = true })).ToHaveCountAsync(0);
        await Expect(row.GetByRole(AriaRole.Button, new() { Name = "Delete seen-by-viewer", Exact = true })).ToHaveCountAsync(0);
        await Expect(row).ToContainTextAsync("Yes");

        await session.ClickRowButtonAsync("seen-by-viewer", "Usage of seen-by-viewer");
        await Expect(session.Dialog("Usage of seen-by-viewer (last 30 days)")).ToBeVisibleAsync();
        session.AssertRanClean();
    }

    [BrowserFact]
    public async Task NamedAdmin_SeesTheWriteControls_AndNoReadOnlyNote()
    {
        await using var host = StartHost(fixture.Upstream);
        await host.CreateKeyAsync(new { name = "seen-by-ops", graphql = "read" });
        await using var session = await fixture.OpenAsync(host);

        await session.SignInAsync(AdminCredentialTests.OpsToken);

        var row = session.Row("seen-by-ops");
        await Expect(row).ToBeVisibleAsync();
        await Expect(session.CreateButton).ToBeVisibleAsync();
        await Expect(row.GetByRole(AriaRole.Switch)).ToHaveCountAsync(1);
        await Expect(row.GetByRole(AriaRole.Button, new() { Name = "Edit seen-by-ops", Exact = true })).ToBeVisibleAsync();
        await Expect(session.Page.Locator("#read-only")).ToBeHiddenAsync();
        session.AssertRanClean();
    }

    private static GatewayHost StartHost(RecordingUpstream upstream) =>
        new GatewayHost(GatewayHost.WriteConfig(upstream.Address), TestStore.Configuration, TestStore.UniquePrefix(), new Dictionary<string, string?>
        {
            ["Admin:Tokens:ops:Sha256"] = AdminCredentialTests.Sha256(AdminCredentialTests.OpsToken),
            ["Admin:Tokens:ops:Role"] = "admin",
            ["Admin:Tokens:auditor:Sha256"] = AdminCredentialTests.Sha256(AdminCredentialTests.ViewerToken),
            ["Admin:Tokens:auditor:Role"] = "viewer",
        }).Start();
}
