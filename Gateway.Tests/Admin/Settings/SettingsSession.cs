using Gateway.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Gateway.Tests.Admin.Settings;

/// <summary>
/// One browser context on the Settings page, found by role and label as a user (or a screen reader) finds it.
/// Console errors and uncaught exceptions are collected, so a test can prove the page ran clean (a CSP
/// violation is a console error).
/// </summary>
public sealed class SettingsSession : IAsyncDisposable
{
    private readonly List<string> _problems = [];

    private SettingsSession(IBrowserContext context, IPage page)
    {
        Context = context;
        Page = page;
        page.Console += (_, message) =>
        {
            // A failed load is reported below with its URL; the console's copy of it has none.
            if (message.Type == "error" && !message.Text.StartsWith("Failed to load resource", StringComparison.Ordinal))
            {
                lock (_problems)
                {
                    _problems.Add("console: " + message.Text);
                }
            }
        };
        page.Response += (_, response) =>
        {
            // Chromium asks for /favicon.ico on its own; the page has none and needs none.
            if (response.Status >= 400 && !response.Url.EndsWith("/favicon.ico", StringComparison.Ordinal))
            {
                lock (_problems)
                {
                    _problems.Add($"response: {response.Status} {response.Request.Method} {response.Url}");
                }
            }
        };
        page.PageError += (_, error) =>
        {
            lock (_problems)
            {
                _problems.Add("page error: " + error);
            }
        };
    }

    public IBrowserContext Context { get; }

    public IPage Page { get; }

    public ILocator CreateButton => Page.GetByRole(AriaRole.Button, new() { Name = "Create API key", Exact = true });

    public ILocator Message => Page.Locator("#message");

    public static async Task<SettingsSession> OpenAsync(IBrowser browser, GatewayHost host)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = host.Listeners.AdminUri!.ToString(),
            ViewportSize = new ViewportSize { Width = 1280, Height = 720 },
            Locale = "en-US",
            TimezoneId = "UTC",
        });
        context.SetDefaultTimeout(10_000);
        var page = await context.NewPageAsync();
        var session = new SettingsSession(context, page);
        var response = await page.GotoAsync("/");
        Assert.Equal(200, response!.Status);
        return session;
    }

    public async Task SignInAsync(string token = GatewayHost.AdminToken)
    {
        await Page.GetByLabel("Admin token", new() { Exact = true }).FillAsync(token);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();
        await Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Keys", Exact = true })).ToBeVisibleAsync();
    }

    /// <summary>The key list's row whose Name cell is exactly <paramref name="name"/>.</summary>
    public ILocator Row(string name) => Page.Locator("#key-table tbody tr")
        .Filter(new() { Has = Page.GetByRole(AriaRole.Cell, new() { Name = name, Exact = true }) });

    public ILocator Dialog(string name) => Page.GetByRole(AriaRole.Dialog, new() { Name = name, Exact = true });

    /// <summary>Opens the row's dialog through its labelled icon button ("Edit NAME", "Delete NAME", "Usage of NAME").</summary>
    public Task ClickRowButtonAsync(string name, string label) =>
        Row(name).GetByRole(AriaRole.Button, new() { Name = label, Exact = true }).ClickAsync();

    /// <summary>Whether <paramref name="secret"/> is anywhere in the page: markup, form values, or web storage.</summary>
    public Task<bool> PageHoldsAsync(string secret) => Page.EvaluateAsync<bool>(
        """
        secret => document.documentElement.outerHTML.includes(secret)
          || document.body.innerText.includes(secret)
          || [...document.querySelectorAll("input, textarea, select")].some(e => String(e.value).includes(secret))
          || Object.values(sessionStorage).some(v => v.includes(secret))
          || Object.values(localStorage).some(v => v.includes(secret))
        """,
        secret);

    /// <summary>Fails with every console error and uncaught exception the page produced.</summary>
    public void AssertRanClean(Func<string, bool>? expected = null)
    {
        lock (_problems)
        {
            var unexpected = _problems.Where(p => expected is null || !expected(p)).ToList();
            Assert.True(unexpected.Count == 0, "The page reported: " + string.Join(" | ", unexpected));
        }
    }

    public async ValueTask DisposeAsync() => await Context.CloseAsync();
}
