using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Gateway.Admin;

/// <summary>
/// A PATCH member read through <see cref="OptionalConverter{T}"/> is, on the wire, just a <c>T</c> or null (absent means
/// unchanged). The generator cannot see through a custom converter, so its schema is replaced with <c>T</c>'s, nullable.
/// </summary>
internal static class OptionalSchemas
{
    public static bool IsOptional(Type type) => type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Optional<>);

    public static async Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        if (context.JsonPropertyInfo?.PropertyType is not { } type || !IsOptional(type))
        {
            return;
        }

        var inner = await context.GetOrCreateSchemaAsync(type.GetGenericArguments()[0], null, cancellationToken).ConfigureAwait(false);
        schema.Type = (inner.Type ?? JsonSchemaType.Object) | JsonSchemaType.Null;
        schema.Properties = inner.Properties;
        schema.AdditionalProperties = inner.AdditionalProperties;
        schema.Items = inner.Items;
        schema.Required = inner.Required;
        schema.Format = inner.Format;
    }
}
