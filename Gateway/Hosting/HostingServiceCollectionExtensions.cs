using Gateway.Configuration;
using Microsoft.AspNetCore.DataProtection;
using Yarp.ReverseProxy.Configuration.RouteValidators;

namespace Gateway.Hosting;

internal static class HostingServiceCollectionExtensions
{
    /// <summary>The proxy and admin listeners from the config file's Kestrel section, and the policy that keeps admin endpoints on the admin one.</summary>
    public static WebApplicationBuilder AddListeners(this WebApplicationBuilder builder)
    {
        var listeners = new ListenerEndpoints();
        builder.Services.AddSingleton(listeners);
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
        builder.Services.AddSingleton<Microsoft.AspNetCore.Routing.MatcherPolicy, ListenerMatcherPolicy>();
        return builder;
    }

    /// <summary>Liveness, and readiness that needs the store.</summary>
    public static IServiceCollection AddHealth(this IServiceCollection services)
    {
        services.AddHealthChecks().AddCheck<StoreHealthCheck>("store", tags: ["ready"]);
        return services;
    }

    /// <summary>YARP, its routes read from the validated configuration and checked for key scopes.</summary>
    public static IServiceCollection AddProxy(this IServiceCollection services, ValidatedConfiguration validated)
    {
        services.AddReverseProxy().LoadFromConfig(validated.Configuration.GetSection("ReverseProxy"));

        // YARP's session affinity is the only user of Data Protection here (it protects affinity cookies). An in-memory
        // key ring writes no unencrypted key XML to disk; the cost is that an affinity cookie is honoured only by the
        // instance that issued it, until it restarts, after which the request is load-balanced afresh. The framework's
        // start-up service would still create (and warn about) an on-disk key ring nobody reads, so it is removed.
        services.AddDataProtection().UseEphemeralDataProtectionProvider();
        foreach (var prewarm in services.Where(IsDataProtectionPrewarm).ToList())
        {
            services.Remove(prewarm);
        }
        // After AddReverseProxy, so it runs after YARP's own route validators.
        services.AddSingleton<IRouteValidator, KeyScopeRouteValidator>();
        return services;
    }

    private static bool IsDataProtectionPrewarm(ServiceDescriptor descriptor) =>
        descriptor.ServiceType == typeof(IHostedService)
        && descriptor.ImplementationType?.FullName == "Microsoft.AspNetCore.DataProtection.Internal.DataProtectionHostedService";
}
