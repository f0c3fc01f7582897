using Gateway.Configuration;

namespace Gateway.Enforcement;

internal static class EnforcementServiceCollectionExtensions
{
    /// <summary>What the enforcement middleware needs beside the key cache: scope options, GraphQL body reading, upstream credentials.</summary>
    public static IServiceCollection AddKeyEnforcement(this IServiceCollection services, ValidatedConfiguration validated)
    {
        services.AddValidatedOptions<KeyScopesOptions>(validated, KeyScopesOptions.Section)
            .Validate(o => o.GraphQLBodyTimeout > TimeSpan.Zero, "KeyScopes:GraphQLBodyTimeout must be positive.")
            .Validate(o => o.MaxBufferedGraphQLBytes >= o.MaxGraphQLBodyBytes, "KeyScopes:MaxBufferedGraphQLBytes must be at least KeyScopes:MaxGraphQLBodyBytes.");
        services.AddSingleton<GraphQLBodyBudget>();
        services.AddSingleton<GraphQLBodyReader>();
        services.Configure<Dictionary<string, UpstreamOptions>>(validated.Configuration.GetSection(UpstreamOptions.Section));
        services.AddSingleton<UpstreamCredentials>();
        return services;
    }
}
