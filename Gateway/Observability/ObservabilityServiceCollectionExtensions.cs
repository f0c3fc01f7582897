using System.Diagnostics.Metrics;
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
        // Meters are matched by name process-wide: a second host in the process (tests run three gateways in one)
        // would have its "Gateway" instruments merged into this one's page, and one host's gauge read as another's.
        // Only instruments of meters made by this host's own factory (or by none) are exported.
        services.ConfigureOpenTelemetryMeterProvider((provider, builder) =>
        {
            var factory = provider.GetRequiredService<IMeterFactory>();
            builder.AddView(instrument => instrument.Meter.Scope is null || ReferenceEquals(instrument.Meter.Scope, factory)
                ? null
                : MetricStreamConfiguration.Drop);
        });
        return services;
    }
}
