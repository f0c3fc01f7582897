namespace Gateway.Tests.Admin.Settings;

/// <summary>
/// Finds the Chromium the Settings page tests drive: <c>GATEWAY_TEST_CHROMIUM</c> when set, else a system Chromium
/// (Debian's <c>/usr/bin/chromium</c> and its usual names), else one Playwright installed under its browsers folder.
/// Nothing is ever downloaded. On a machine without one the tests are reported as skipped with the command that
/// installs it, unless <c>GATEWAY_TEST_REQUIRE_BROWSER=1</c> (set by .ci/run), which makes a missing browser a failure.
/// </summary>
public static class SettingsBrowser
{
    public const string PathVariable = "GATEWAY_TEST_CHROMIUM";
    public const string RequireVariable = "GATEWAY_TEST_REQUIRE_BROWSER";
    public const string InstallCommand = "sudo apt-get install -y chromium";

    private static readonly string[] SystemPaths =
        ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome", "/usr/bin/google-chrome-stable"];

    private static readonly Lazy<string?> Found = new(Find);

    /// <summary>The browser's executable, or null when this machine has none.</summary>
    public static string? ExecutablePath => Found.Value;

    public static bool Required => Environment.GetEnvironmentVariable(RequireVariable) == "1";

    /// <summary>Why the browser tests do not run here, or null when they do (or must).</summary>
    public static string? SkipReason => ExecutablePath is null && !Required
        ? $"No Chromium on this machine (looked at ${PathVariable}, {string.Join(", ", SystemPaths)} and Playwright's browsers folder). Install one with: {InstallCommand}"
        : null;

    public static string MissingMessage =>
        $"{RequireVariable}=1 but no Chromium was found (looked at ${PathVariable}, {string.Join(", ", SystemPaths)} and Playwright's browsers folder). Install one with: {InstallCommand}";

    private static string? Find()
    {
        if (Environment.GetEnvironmentVariable(PathVariable) is { Length: > 0 } named)
        {
            return File.Exists(named) ? named : null;
        }

        return SystemPaths.FirstOrDefault(File.Exists) ?? FindPlaywrightChromium();
    }

    /// <summary>A Chromium that <c>playwright install chromium</c> put in its browsers folder, newest revision first.</summary>
    private static string? FindPlaywrightChromium()
    {
        var root = Environment.GetEnvironmentVariable("PLAYWRIGHT_BROWSERS_PATH") is { Length: > 0 } custom && custom != "0"
            ? custom
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "ms-playwright");
        if (!Directory.Exists(root))
        {
            return null;
        }

        return Directory.EnumerateDirectories(root, "chromium-*")
            .OrderByDescending(dir => dir, StringComparer.Ordinal)
            .SelectMany(dir => new[] { Path.Combine(dir, "chrome-linux", "chrome"), Path.Combine(dir, "chrome-linux64", "chrome") })
            .FirstOrDefault(File.Exists);
    }
}

/// <summary>A test that drives the browser: skipped with the reason on a machine without one (see <see cref="SettingsBrowser"/>).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class BrowserFactAttribute : FactAttribute
{
    public BrowserFactAttribute()
    {
        if (SettingsBrowser.SkipReason is { } reason)
        {
            Skip = reason;
        }
    }
}
