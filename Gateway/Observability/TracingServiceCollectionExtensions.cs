using OpenTelemetry.Trace;

namespace Gateway.Observability;

internal static class TracingServiceCollectionExtensions
{
    /// <summary>The standard variable that names an OTLP collector; tracing is on exactly when it is set.</summary>
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>
    /// OpenTelemetry tracing with ASP.NET Core's and HttpClient's instrumentation (the client span of each forwarded
    /// request) and the gateway's decision (<see cref="GatewayTracing"/>), URL attributes redacted by the gateway itself
    /// (<see cref="SpanRedactionProcessor"/>), exported by OTLP when
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (the exporter reads the other standard <c>OTEL_*</c> variables itself).
    /// Off otherwise: with no exporter, recording spans would cost every request CPU for nothing.
    /// </summary>
    public static IServiceCollection AddGatewayTracing(this IServiceCollection services, IConfiguration configuration)
    {
        if (string.IsNullOrWhiteSpace(configuration[OtlpEndpointVariable]))
        {
            return services;
        }

        services.AddOpenTelemetry().WithTracing(tracing => tracing
            .AddAspNetCoreInstrumentation(options =>
                // Probes and scrapes would be most of the spans and tell nothing about a request.
                options.Filter = context => !IsProbe(context.Request.Path))
            .AddHttpClientInstrumentation()
            // Before the exporter, so it sees only redacted URLs, whatever the instrumentations' own redaction is set to.
            .AddProcessor(new SpanRedactionProcessor())
            .AddOtlpExporter());
        return services;
    }

    private static bool IsProbe(PathString path) =>
        path.Equals("/healthz", StringComparison.Ordinal) || path.Equals("/readyz", StringComparison.Ordinal) ||
        path.Equals("/metrics", StringComparison.Ordinal);
}
