using System.Net.Http.Json;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Gateway.Tests.Admin.Settings;

/// <summary>Screenshots of the page as an operator sees it, kept as test artifacts.</summary>
[Collection(SettingsCollection.Name)]
public sealed class SettingsScreenshotTests(SettingsFixture fixture, ITestOutputHelper output)
{
    [BrowserFact]
    public async Task KeyList_Screenshot_IsSavedAsAnArtifact()
    {
        // A gateway of its own (same store, own prefix), so the list holds exactly these keys.
        var host = SettingsFixture.StartHost(fixture.Upstream);
        try
        {
            await host.CreateKeyAsync(new { name = "ci-deploy", graphql = "readwrite", endpoints = new Dictionary<string, string> { ["*"] = "readwrite" } });
            await host.CreateKeyAsync(new { name = "dashboard", graphql = "read", endpoints = new Dictionary<string, string> { ["*"] = "read" } });
            using (var legacy = await host.Admin.PostAsJsonAsync("/admin/keys/legacy", new { keys = new[] { new { key = "legacy-" + Guid.NewGuid().ToString("N"), name = "old billing job", graphql = "read" } } }))
            {
                legacy.EnsureSuccessStatusCode();
            }

            var (_, paused) = await host.CreateKeyAsync(new { name = "paused-worker", endpoints = new Dictionary<string, string> { ["*"] = "read" } });
            using (var disabled = await host.Admin.PatchAsJsonAsync($"/admin/keys/{paused}", new { enabled = false }))
            {
                disabled.EnsureSuccessStatusCode();
            }

            await host.CreateKeyAsync(new
            {
                name = "image-worker",
                graphql = "none",
                endpoints = new Dictionary<string, string> { ["ep1"] = "readwrite", ["ep2"] = "read" },
                expiresAt = DateTimeOffset.UtcNow.AddDays(90),
            });

            await using var session = await SettingsSession.OpenAsync(fixture.Browser, host);
            await session.SignInAsync();
            await Expect(session.Page.Locator("#key-table tbody tr")).ToHaveCountAsync(5);
            var list = await SettingsFixture.SaveScreenshotAsync(session.Page, "settings-keys.png", output);

            await session.CreateButton.ClickAsync();
            await session.Page.GetByRole(AriaRole.Button, new() { Name = "+ Add endpoint" }).ClickAsync();
            await SettingsFixture.SaveScreenshotAsync(session.Page, "settings-create.png", output);

            Assert.True(new FileInfo(list).Length > 10_000, "the key list screenshot is suspiciously small");
            session.AssertRanClean();
        }
        finally
        {
            await host.DisposeAsync();
            File.Delete(host.ConfigPath);
        }
    }
}
