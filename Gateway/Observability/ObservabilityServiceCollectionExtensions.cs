using OpenTelemetry.Metrics;

namespace Gateway.Observability;

internal static class ObservabilityServiceCollectionExtensions
{
    /// <summary>The gateway's metrics and their Prometheus exporter. Log redaction is added apart: it must come first.</summary>
    public static IServiceCollection AddGatewayMetrics(this IServiceCollection services)
    {
        services.AddSingleton<GatewayMetrics>();
        // OpenTelemetry's SDK aggregates in process (no allocation per measurement on the request path) and its
        // Prometheus exporter serves the text format; it is the exporter the .NET documentation recommends.
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(GatewayMetrics.MeterName, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel")
            .AddPrometheusExporter());
        return services;
    }
}
