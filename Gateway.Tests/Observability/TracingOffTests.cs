using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace Gateway.Tests.Observability;

/// <summary>Without <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> the gateway records no spans: no tracer provider exists.</summary>
public sealed class TracingOffTests(GatewayTest.Parts parts) : GatewayTest(parts)
{
    [Fact]
    public void WithoutAnOtlpEndpoint_NoTracerProviderIsRegistered()
    {
        Assert.Null(Host.Services.GetService<TracerProvider>());
    }
}
