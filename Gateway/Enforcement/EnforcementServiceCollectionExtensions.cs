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
        // Validated like every section, so "ForwardKeyId": "yes" fails the start and is refused on a reload.
        validated.AddCheck((candidate, _) => ConfigReloadChecks.Upstreams(candidate));
        services.AddValidatedOptions<Dictionary<string, UpstreamOptions>>(validated, UpstreamOptions.Section)
            .Validate(_ => !ConfigReloadChecks.Upstreams(validated.Configuration).Any(), "Upstreams:<clusterId>:ForwardKeyId must be true or false.");
        services.AddSingleton<UpstreamCredentials>();
        return services;
    }
}
