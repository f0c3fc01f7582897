using Scalar.AspNetCore;

namespace Gateway.Admin;

/// <summary>
/// <c>/docs</c>: an interactive reference of the admin API (Scalar), on the admin listener, no token needed to read it
/// (the calls it makes need one). Everything it loads is served from here: Scalar's scripts are bundled in its package,
/// its default web fonts (a CDN), telemetry, AI agent and MCP features are turned off, and a CSP of its own forbids
/// any other origin. Its one inline script (Scalar's start-up call) runs by a fresh nonce per answer.
/// </summary>
internal static class AdminDocs
{
    public const string Path = "/docs";

    // Scalar styles itself at run time (inline style elements), so styles allow 'unsafe-inline'; scripts do not.
    private const string ScriptPolicy = "default-src 'none'; script-src 'self' 'nonce-";
    private const string RestOfPolicy =
        "'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
        "font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    public static IEndpointConventionBuilder MapAdminDocs(this IEndpointRouteBuilder endpoints)
    {
        var docs = endpoints.MapScalarApiReference(Path, options => options
            .WithTitle("Gateway admin API")
            .WithOpenApiRoutePattern(AdminOpenApi.DocumentPath)
            .AddPreferredSecuritySchemes(AdminOpenApi.BearerScheme)
            .WithNonce()
            .DisableDefaultFonts()
            .DisableTelemetry()
            .DisableAgent()
            .DisableMcp());
        docs.Add(endpoint =>
        {
            var inner = endpoint.RequestDelegate!;
            endpoint.RequestDelegate = context =>
            {
                context.Response.OnStarting(() =>
                {
                    // No nonce (a script or style file, not the page): no inline script may run at all. Fails closed.
                    var nonce = context.Items[ScalarOptions.NonceHttpContextItemKey] as string ?? "none";
                    var headers = context.Response.Headers;
                    headers.ContentSecurityPolicy = ScriptPolicy + nonce + RestOfPolicy;
                    headers.XContentTypeOptions = "nosniff";
                    headers.XFrameOptions = "DENY";
                    headers["Referrer-Policy"] = "no-referrer";
                    return Task.CompletedTask;
                });
                return inner(context);
            };
        });
        return docs;
    }
}
