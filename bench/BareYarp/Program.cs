// Bare YARP, the baseline of bench/throughput.sh: the gateway's routes and clusters, read from the same config
// file (--config=<path>) with the same environment overrides
// (ReverseProxy__Clusters__<id>__Destinations__primary__Address), and nothing else: no key checks, no metrics
// exporter, no admin listener. The listener is --urls=http://127.0.0.1:<port>. With --metrics=true it also exports
// ASP.NET Core's and Kestrel's meters through OpenTelemetry's Prometheus exporter, as the gateway does, so the cost
// of that export can be told apart from the cost of enforcement.
using OpenTelemetry.Metrics;

var builder = WebApplication.CreateBuilder(args);
var configPath = builder.Configuration["config"] ?? throw new InvalidOperationException("Pass --config=<path to the gateway's appsettings.json>.");
var routes = new ConfigurationBuilder()
    .AddJsonFile(Path.GetFullPath(configPath), optional: false)
    .AddEnvironmentVariables()
    .Build()
    .GetSection("ReverseProxy");

builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);
builder.Services.AddReverseProxy().LoadFromConfig(routes);
var metrics = builder.Configuration.GetValue<bool>("metrics");
if (metrics)
{
    builder.Services.AddOpenTelemetry().WithMetrics(m => m
        .AddMeter("Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel")
        .AddPrometheusExporter());
}

var app = builder.Build();
app.MapReverseProxy();
if (metrics)
{
    app.MapPrometheusScrapingEndpoint("/bare-metrics");
}

app.Run();
