using System.Reflection;

namespace Gateway.Admin;

/// <summary>The Settings page at <c>/</c> on the admin listener: static files embedded in the binary.</summary>
internal static class SettingsPage
{
    // The page runs no inline code and talks only to this origin; a strict policy keeps it that way.
    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    private static readonly (string Path, string Resource, string ContentType)[] Files =
    [
        ("/", "settings/index.html", "text/html; charset=utf-8"),
        ("/settings.js", "settings/settings.js", "text/javascript; charset=utf-8"),
        ("/settings-usage.js", "settings/settings-usage.js", "text/javascript; charset=utf-8"),
        ("/settings-ratelimits.js", "settings/settings-ratelimits.js", "text/javascript; charset=utf-8"),
        ("/settings.css", "settings/settings.css", "text/css; charset=utf-8"),
    ];

    public static IEndpointConventionBuilder[] MapSettingsPage(this IEndpointRouteBuilder endpoints)
    {
        var assembly = typeof(SettingsPage).Assembly;
        return Files.Select(file =>
        {
            var bytes = Read(assembly, file.Resource);
            return endpoints.MapMethods(file.Path, ["GET", "HEAD"], (HttpContext context) =>
            {
                var headers = context.Response.Headers;
                headers.ContentSecurityPolicy = ContentSecurityPolicy;
                headers.XContentTypeOptions = "nosniff";
                headers.XFrameOptions = "DENY";
                headers["Referrer-Policy"] = "no-referrer";
                headers.CacheControl = "no-cache";
                return Results.Bytes(bytes, file.ContentType);
            });
        }).ToArray();
    }

    private static byte[] Read(Assembly assembly, string resource)
    {
        using var stream = assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"The Settings page resource '{resource}' is missing from the build.");
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return memory.ToArray();
    }
}
