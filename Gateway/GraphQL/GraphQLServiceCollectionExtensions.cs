using Gateway.Configuration;

namespace Gateway.GraphQL;

internal static class GraphQLServiceCollectionExtensions
{
    /// <summary>The cache of GraphQL documents already parsed and accepted.</summary>
    public static IServiceCollection AddGraphQLDocuments(this IServiceCollection services, ValidatedConfiguration validated)
    {
        services.AddValidatedOptions<GraphQLDocumentCacheOptions>(validated, GraphQLDocumentCacheOptions.Section);
        services.AddSingleton<AcceptedDocuments>();
        return services;
    }
}
