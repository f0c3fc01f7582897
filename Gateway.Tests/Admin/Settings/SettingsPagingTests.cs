using Gateway.Keys;
using Gateway.Store;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Gateway.Tests.Admin.Settings;

/// <summary>
/// The key list in real Chromium with more keys than a page: it shows a page, "Load more" adds the next, and the search
/// box asks the server, so the page never holds the whole list. Its own gateway, so it knows every key listed.
/// </summary>
[Collection(SettingsCollection.Name)]
public sealed class SettingsPagingTests(SettingsFixture fixture)
{
    private const int Keys = 250;

    [BrowserFact]
    public async Task TheListShowsAPage_LoadMoreAddsTheNext_AndSearchAsksTheServer()
    {
        await using var host = SettingsFixture.StartHost(fixture.Upstream);
        await CreateAsync(host.Services.GetRequiredService<KeyStore>());
        await using var session = await fixture.OpenAsync(host);
        await session.SignInAsync();
        var rows = session.Page.Locator("#key-table tbody tr");
        var loadMore = session.Page.GetByRole(AriaRole.Button, new() { Name = "Load more", Exact = true });
        var search = session.Page.GetByLabel("Search keys", new() { Exact = true });

        await Expect(rows).ToHaveCountAsync(100);
        await Expect(rows.First).ToContainTextAsync("page-key-000");
        await Expect(session.Page.Locator("#list-status")).ToHaveTextAsync("100 keys shown; more to load.");

        await loadMore.ClickAsync();
        await Expect(rows).ToHaveCountAsync(200);
        await Expect(rows.Nth(100)).ToContainTextAsync("page-key-100");
        await loadMore.ClickAsync();
        await Expect(rows).ToHaveCountAsync(Keys);
        await Expect(rows.Last).ToContainTextAsync("page-key-249");
        await Expect(loadMore).ToBeHiddenAsync();

        await search.FillAsync("PAGE-KEY-123");
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(session.Row("page-key-123")).ToBeVisibleAsync();
        await Expect(loadMore).ToBeHiddenAsync();

        await search.FillAsync("no such key");
        await Expect(rows).ToHaveCountAsync(0);
        await Expect(session.Page.Locator("#empty")).ToHaveTextAsync("No keys match this search.");

        await search.FillAsync("");
        await Expect(rows).ToHaveCountAsync(100);
        await Expect(loadMore).ToBeVisibleAsync();
        session.AssertRanClean();
    }

    // Through the store's own create, 25 at once: page-key-000 is the newest, one millisecond apart, so the order is known.
    private static async Task CreateAsync(KeyStore store)
    {
        var now = DateTimeOffset.UtcNow;
        foreach (var chunk in Enumerable.Range(0, Keys).Chunk(25))
        {
            var created = await Task.WhenAll(chunk.Select(i =>
            {
                var plaintext = KeyFormat.Generate();
                var key = new ApiKey(KeyIds.NewId(), $"page-key-{i:000}", KeyKind.Rpa, KeyFormat.DisplayPrefix(plaintext), true, now.AddMilliseconds(-i), null, null, KeyScopes.None)
                {
                    Version = KeyStore.FirstVersion,
                };
                return store.CreateAsync(key, KeyDigest.Compute(plaintext), announce: false);
            }));
            Assert.All(created, Assert.True);
        }
    }
}
