using Gateway.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Gateway.Tests.Admin.Settings;

/// <summary><c>/docs</c> in real Chromium: it renders the admin API's calls, every request it makes stays on the admin listener, and nothing breaks its CSP.</summary>
[Collection(SettingsCollection.Name)]
public sealed class DocsBrowserTests(SettingsFixture fixture)
{
    [BrowserFact]
    public async Task Docs_RendersTheAdminApi_WithNoRequestLeavingTheAdminListener()
    {
        var context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = fixture.Host.Listeners.AdminUri!.ToString() });
        try
        {
            var page = await context.NewPageAsync();
            var requests = new List<string>();
            var problems = new List<string>();
            page.Request += (_, request) => { lock (requests) { requests.Add(request.Url); } };
            page.Console += (_, message) => { if (message.Type == "error") { lock (problems) { problems.Add(message.Text); } } };
            page.PageError += (_, error) => { lock (problems) { problems.Add(error); } };

            var response = await page.GotoAsync("/docs");
            Assert.Equal(200, response!.Status);
            await Expect(page.GetByText("Create a key; the answer holds its plaintext, this once.").First).ToBeVisibleAsync(new() { Timeout = 20_000 });

            var origin = fixture.Host.Listeners.AdminUri!.GetLeftPart(UriPartial.Authority);
            lock (requests)
            {
                Assert.NotEmpty(requests);
                var outside = requests.Where(url => !url.StartsWith(origin, StringComparison.Ordinal) && !url.StartsWith("data:", StringComparison.Ordinal) && !url.StartsWith("blob:", StringComparison.Ordinal)).ToList();
                Assert.True(outside.Count == 0, "requests left the admin listener: " + string.Join(", ", outside));
                Assert.Contains(requests, url => url.EndsWith("/openapi/v1.json", StringComparison.Ordinal));
            }

            lock (problems)
            {
                Assert.True(problems.Count == 0, "the page reported: " + string.Join(" | ", problems));
            }
        }
        finally
        {
            await context.CloseAsync();
        }
    }
}
