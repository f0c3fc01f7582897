using System.Net;
using System.Text.RegularExpressions;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Admin.OpenApi;

/// <summary><c>/docs</c>: the admin API's reference, served whole by the admin listener under a CSP that allows no other origin.</summary>
public sealed partial class AdminDocsTests(GatewayTest.Parts parts) : GatewayTest(parts)
{
    [Fact]
    public async Task Docs_Is200WithoutAToken_WithAStrictCsp_AndEveryScriptAndStyleItNamesIsServedHere()
    {
        using var anonymous = new HttpClient { BaseAddress = Host.Listeners.AdminUri };
        using var response = await anonymous.GetAsync(new Uri("/docs", UriKind.Relative));
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var csp = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'none'", csp, StringComparison.Ordinal);
        Assert.DoesNotMatch("https?:|\\*|data:.*script|'unsafe-eval'", csp.Split(';').Where(d => d.Trim().StartsWith("script-src", StringComparison.Ordinal)).Single());
        Assert.DoesNotContain("http", csp, StringComparison.Ordinal);

        var references = Referenced().Matches(html).Select(m => m.Groups["url"].Value).ToList();
        Assert.NotEmpty(references);
        foreach (var reference in references)
        {
            Assert.False(Uri.TryCreate(reference, UriKind.Absolute, out var absolute) && absolute.Scheme is "http" or "https", $"{reference} is on another origin");
            using var asset = await anonymous.GetAsync(new Uri(new Uri(Host.Listeners.AdminUri!, "/docs/"), reference));
            Assert.True(asset.StatusCode == HttpStatusCode.OK, $"{reference}: {(int)asset.StatusCode}");
        }
    }

    [Fact]
    public async Task Docs_OnTheProxyListener_Is404()
    {
        using var proxy = new HttpClient { BaseAddress = Host.Listeners.ProxyUri };
        using var response = await proxy.GetAsync(new Uri("/docs", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [GeneratedRegex("""<(?:script|link)[^>]+(?:src|href)\s*=\s*["'](?<url>[^"']+)["']""", RegexOptions.IgnoreCase)]
    private static partial Regex Referenced();
}
