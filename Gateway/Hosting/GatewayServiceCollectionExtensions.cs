using Gateway.Abuse;
using Gateway.Admin;
using Gateway.Audit;
using Gateway.Caching;
using Gateway.Configuration;
using Gateway.Enforcement;
using Gateway.Observability;
using Gateway.RateLimiting;
using OpenTelemetry.Metrics;
using Gateway.Store;
using Gateway.Usage;
using Microsoft.AspNetCore.DataProtection;
using Gateway.WebSockets;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Configuration.RouteValidators;

namespace Gateway.Hosting;

public static class GatewayServiceCollectionExtensions
{
    /// <summary>Everything the gateway needs: config file, listeners, store, cache, enforcement, admin API.</summary>
    public static WebApplicationBuilder AddGateway(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.UseGatewayConfigFile();
        var services = builder.Services;
        // Options and routes read the last valid configuration; a reload is published only when all of it is valid.
        var validated = new ValidatedConfiguration(builder.Configuration);
        services.AddSingleton(validated);
        services.AddHostedService<ConfigReloadWatcher>();
        validated.AddCheck(ConfigReloadChecks.Routes);
        var configuration = validated.Configuration;

        // First, so every logger resolved from here on, the framework's included, is redacting (Observability/).
        services.AddLogRedaction();

        var listeners = new ListenerEndpoints();
        services.AddSingleton(listeners);
        builder.WebHost.ConfigureKestrel((context, kestrel) =>
        {
            kestrel.AddServerHeader = false;
            // Limits come from THE config file (Kestrel:Limits), bound here so they apply whatever hosts the app.
            context.Configuration.GetSection("Kestrel:Limits").Bind(kestrel.Limits);
            kestrel.Configure(context.Configuration.GetSection("Kestrel"), reloadOnChange: false)
                .Endpoint(Listeners.ProxyName, endpoint =>
                {
                    listeners.Proxy = endpoint.ListenOptions;
                    endpoint.ListenOptions.Use(next => connection =>
                    {
                        Listeners.Tag(connection.Items, Listener.Proxy);
                        return next(connection);
                    });
                })
                .Endpoint(Listeners.AdminName, endpoint =>
                {
                    listeners.Admin = endpoint.ListenOptions;
                    endpoint.ListenOptions.Use(next => connection =>
                    {
                        Listeners.Tag(connection.Items, Listener.Admin);
                        return next(connection);
                    });
                });
        });

        AddValidatedOptions<RedisOptions>(services, validated, RedisOptions.Section)
            .Validate(o => !string.IsNullOrEmpty(o.KeyPrefix), "Redis:KeyPrefix must not be empty.");
        AddValidatedOptions<StoreOptions>(services, validated, StoreOptions.Section)
            .Validate(o => !string.IsNullOrWhiteSpace(o.DataDirectory), "Store:DataDirectory must not be empty.");
        AddValidatedOptions<AdminOptions>(services, validated, AdminOptions.Section);
        AddValidatedOptions<CacheOptions>(services, validated, CacheOptions.Section)
            .Validate(o => o.L1Ttl > TimeSpan.Zero, "Cache:L1Ttl must be positive.")
            .Validate(o => o.NegativeTtl > TimeSpan.Zero, "Cache:NegativeTtl must be positive.")
            .Validate(o => o.StaleIfErrorTtl >= TimeSpan.Zero, "Cache:StaleIfErrorTtl must not be negative.")
            .Validate(o => o.StoreTimeout > TimeSpan.Zero, "Cache:StoreTimeout must be positive.");
        AddValidatedOptions<UsageOptions>(services, validated, UsageOptions.Section)
            .Validate(o => o.FlushInterval > TimeSpan.Zero, "Usage:FlushInterval must be positive.");
        AddValidatedOptions<KeyScopesOptions>(services, validated, KeyScopesOptions.Section)
            .Validate(o => o.GraphQLBodyTimeout > TimeSpan.Zero, "KeyScopes:GraphQLBodyTimeout must be positive.")
            .Validate(o => o.MaxBufferedGraphQLBytes >= o.MaxGraphQLBodyBytes, "KeyScopes:MaxBufferedGraphQLBytes must be at least KeyScopes:MaxGraphQLBodyBytes.");
        services.AddSingleton<GraphQLBodyBudget>();
        services.AddSingleton<GraphQLBodyReader>();
        AddValidatedOptions<AbuseOptions>(services, validated, AbuseOptions.Section)
            .Validate(o => o.Window > TimeSpan.Zero, "Abuse:Window must be positive.");
        services.AddSingleton(sp =>
        {
            var abuse = sp.GetRequiredService<IOptions<AbuseOptions>>().Value;
            return new AbuseLimiters(
                new FailedAttemptLimiter(abuse.FailedKeyAttempts, abuse.Window),
                new FailedAttemptLimiter(abuse.FailedAdminAttempts, abuse.Window));
        });
        services.Configure<Dictionary<string, UpstreamOptions>>(configuration.GetSection(UpstreamOptions.Section));

        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<StoreConnection>();
        services.AddSingleton<KeyStore>();
        services.AddSingleton<KeyCache>();
        services.AddHostedService<InvalidationSubscriber>();
        services.AddSingleton<UpstreamCredentials>();
        services.AddSingleton<UpgradeRegistry>();
        services.AddSingleton<UpgradeGate>();
        services.AddSingleton<GatewayMetrics>();
        // OpenTelemetry's SDK aggregates in process (no allocation per measurement on the request path) and its
        // Prometheus exporter serves the text format; it is the exporter the .NET documentation recommends.
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(GatewayMetrics.MeterName, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel")
            .AddPrometheusExporter());
        services.AddSingleton<UsageCounters>();
        services.AddSingleton<IUsageRecorder>(sp => sp.GetRequiredService<IOptions<UsageOptions>>().Value.Enabled
            ? sp.GetRequiredService<UsageCounters>()
            : NoUsage.Instance);
        services.AddSingleton<UsageStore>();
        services.AddSingleton<UsageFlusher>();
        services.AddHostedService(sp => sp.GetRequiredService<UsageFlusher>());
        services.AddRateLimits();
        services.AddSingleton<AdminToken>();
        AddValidatedOptions<AuditOptions>(services, validated, AuditOptions.Section);
        services.AddSingleton<AuditLog>();
        services.AddSingleton<Microsoft.AspNetCore.Routing.MatcherPolicy, ListenerMatcherPolicy>();
        services.AddHealthChecks().AddCheck<StoreHealthCheck>("store", tags: ["ready"]);

        services.AddReverseProxy().LoadFromConfig(configuration.GetSection("ReverseProxy"));

        // YARP's session affinity is the only user of Data Protection here (it protects affinity cookies). An in-memory
        // key ring writes no unencrypted key XML to disk; the cost is that an affinity cookie is honoured only by the
        // instance that issued it, until it restarts, after which the request is load-balanced afresh. The framework's
        // start-up service would still create (and warn about) an on-disk key ring nobody reads, so it is removed.
        services.AddDataProtection().UseEphemeralDataProtectionProvider();
        foreach (var prewarm in services.Where(IsDataProtectionPrewarm).ToList())
        {
            services.Remove(prewarm);
        }
        services.AddSingleton<IRouteValidator, KeyScopeRouteValidator>();
        return builder;
    }

    private static bool IsDataProtectionPrewarm(ServiceDescriptor descriptor) =>
        descriptor.ServiceType == typeof(IHostedService)
        && descriptor.ImplementationType?.FullName == "Microsoft.AspNetCore.DataProtection.Internal.DataProtectionHostedService";

    /// <summary>
    /// Binds an options section to the validated configuration, checked at start and on every reload: every
    /// gateway options section must be added here, or a bad reload of it would not be refused.
    /// </summary>
    private static OptionsBuilder<T> AddValidatedOptions<T>(IServiceCollection services, ValidatedConfiguration configuration, string section)
        where T : class, new()
    {
        configuration.AddCheck((candidate, provider) => ConfigReloadChecks.Options<T>(candidate, provider, section));
        return services.AddOptions<T>().Bind(configuration.Configuration.GetSection(section)).ValidateDataAnnotations().ValidateOnStart();
    }
}
