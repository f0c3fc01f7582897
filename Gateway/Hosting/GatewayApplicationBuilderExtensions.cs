using Gateway.Admin;
using Gateway.ClientAddresses;
using Gateway.Enforcement;
using Gateway.Store;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using OpenTelemetry.Metrics;

namespace Gateway.Hosting;

public static class GatewayApplicationBuilderExtensions
{
    /// <summary>The proxy pipeline with enforcement, the admin API and the health endpoints.</summary>
    public static WebApplication MapGateway(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (app.Services.GetService<KeyStore>() is null)
        {
            throw new InvalidOperationException("Call builder.AddGateway() before app.MapGateway().");
        }

        // Every bad setting at once, before anything connects. Left to the host's own start-up check, options that
        // MapReverseProxy resolves while building the pipeline (Cache, via the enforcement step) would fail alone first.
        app.Services.GetService<Microsoft.Extensions.Options.IStartupValidator>()?.Validate();

        // Resolve the store at start so the embedded-store line and any connection problem show up now.
        _ = app.Services.GetRequiredService<StoreConnection>();
        if (app.Services.GetRequiredService<AdminCredentials>().TakeGenerated() is { } generated)
        {
            AdminCredentials.Print(generated);
        }

        app.MapReverseProxy(proxy =>
        {
            // First: every step after it, enforcement included, reads the client address it sets.
            proxy.UseMiddleware<TrustedProxyMiddleware>();
            proxy.UseMiddleware<EnforcementMiddleware>();
            proxy.UseSessionAffinity();
            proxy.UseLoadBalancing();
            proxy.UsePassiveHealthChecks();
        });

        app.MapAdminApi().WithMetadata(new AdminListenerOnlyAttribute());
        // The admin API's description: on the admin listener, with no token (it holds no secret; the calls need one).
        app.MapAdminOpenApi().WithMetadata(new AdminListenerOnlyAttribute());
        app.MapAdminDocs().WithMetadata(new AdminListenerOnlyAttribute());
        foreach (var page in app.MapSettingsPage())
        {
            page.WithMetadata(new AdminListenerOnlyAttribute());
        }

        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false })
            .WithMetadata(new AdminListenerOnlyAttribute());
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") })
            .WithMetadata(new AdminListenerOnlyAttribute());
        app.MapPrometheusScrapingEndpoint("/metrics").WithMetadata(new AdminListenerOnlyAttribute());
        return app;
    }
}
