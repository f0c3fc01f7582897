using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Gateway.Tests.Enforcement;
using Gateway.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Gateway.Tests.Admin.Settings;

[CollectionDefinition(Name)]
public sealed class SettingsCollection : ICollectionFixture<SettingsFixture>
{
    public const string Name = "Settings page";
}

/// <summary>
/// One gateway, one recording upstream and one headless Chromium (the system's, driven by Playwright; see
/// <see cref="SettingsBrowser"/>) for every Settings page test; each test gets its own browser context, so no session
/// storage is shared. On a machine without a browser the tests are skipped and nothing is started.
/// </summary>
public sealed class SettingsFixture : IAsyncLifetime
{
    private static readonly string[] ChromiumArgs =
    [
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run",
    ];

    private IPlaywright? _playwright;

    public RecordingUpstream Upstream { get; private set; } = null!;

    public GatewayHost Host { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Where screenshots go: TestResults/artifacts under the test binary's folder.</summary>
    public static string ArtifactsDirectory => Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "TestResults", "artifacts")).FullName;

    public async Task InitializeAsync()
    {
        if (SettingsBrowser.SkipReason is not null)
        {
            return;
        }

        Upstream = await RecordingUpstream.StartAsync();
        Host = StartHost(Upstream);
        _playwright = await Playwright.CreateAsync();
        Browser = await LaunchAsync(_playwright);
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        _playwright?.Dispose();
        if (Host is not null)
        {
            var config = Host.ConfigPath;
            await Host.DisposeAsync();
            File.Delete(config);
        }

        if (Upstream is not null)
        {
            await Upstream.DisposeAsync();
        }
    }

    /// <summary>Saves a full-page PNG under <see cref="ArtifactsDirectory"/> and prints where.</summary>
    public static async Task<string> SaveScreenshotAsync(IPage page, string file, Xunit.Abstractions.ITestOutputHelper output)
    {
        var path = Path.Combine(ArtifactsDirectory, file);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        output.WriteLine($"screenshot: {path}");
        return path;
    }

    public static GatewayHost StartHost(RecordingUpstream upstream) =>
        new GatewayHost(GatewayHost.WriteConfig(upstream.Address), TestStore.Configuration, TestStore.UniquePrefix()).Start();

    /// <summary>Never downloads a browser: the system Chromium, headless, with nothing reaching out on its own.</summary>
    public static Task<IBrowser> LaunchAsync(IPlaywright playwright) => playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
    {
        ExecutablePath = SettingsBrowser.ExecutablePath ?? throw new InvalidOperationException(SettingsBrowser.MissingMessage),
        Headless = true,
        Args = ChromiumArgs,
        Timeout = 30_000,
    });

    /// <summary>A fresh context and page on the Settings page, not yet signed in.</summary>
    public Task<SettingsSession> OpenAsync(GatewayHost? host = null) => SettingsSession.OpenAsync(Browser, host ?? Host);

    /// <summary>One request through the proxy with <paramref name="key"/> as a bearer token.</summary>
    public Task<ProxyResponse> ProxyAsync(HttpMethod method, string path, string key) => Host.SendWithKeyAsync(method, path, key);

    /// <summary>Polls the proxy until <paramref name="method"/> <paramref name="path"/> answers as expected.</summary>
    public Task ProxyEventuallyAsync(HttpMethod method, string path, string key, int status, string? code = null) =>
        Host.EventuallyAnswersAsync(method, path, key, status, code);

    /// <summary>Imports one legacy key through the admin API and returns its id.</summary>
    public async Task<string> ImportLegacyAsync(string key, string name, string graphql = "read")
    {
        using var response = await Host.Admin.PostAsJsonAsync("/admin/keys/legacy", new { keys = new[] { new { key, name, graphql } } });
        response.EnsureSuccessStatusCode();
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        return (string)body["imported"]![0]!["id"]!;
    }

    public async Task<JsonNode> GetKeyAsync(string id)
    {
        using var response = await Host.Admin.GetAsync($"/admin/keys/{id}");
        response.EnsureSuccessStatusCode();
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    /// <summary>A name no other test in this collection uses, so rows can be found by it.</summary>
    public static string UniqueName(string stem) => $"{stem}-{Guid.NewGuid():N}"[..(stem.Length + 7)];
}
