using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Gateway.Admin;

/// <summary>
/// Every admin request and answer body, serialized by generated code. Reading is strict through the serializer's own
/// options, not hand checks: a member given twice at any depth, a member no record has, a null where the record's
/// nullability says no, and a missing required constructor parameter are all <see cref="JsonException"/>s that
/// <see cref="AdminBody"/> turns into a 400 naming the field (from the exception's path).
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    AllowDuplicateProperties = false,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true,
    MaxDepth = KeyRequests.MaxDepth)]
[JsonSerializable(typeof(CreateKeyRequest))]
[JsonSerializable(typeof(PatchKeyRequest))]
[JsonSerializable(typeof(LegacyImportRequest))]
[JsonSerializable(typeof(KeyView))]
[JsonSerializable(typeof(KeyListView))]
[JsonSerializable(typeof(LegacyImportView))]
[JsonSerializable(typeof(RevokeKeysRequest))]
[JsonSerializable(typeof(RevokeView))]
[JsonSerializable(typeof(RollKeyRequest))]
[JsonSerializable(typeof(UsageView))]
[JsonSerializable(typeof(AuditView))]
[JsonSerializable(typeof(ProblemView))]
[JsonSerializable(typeof(WhoAmIView))]
// Read by OptionalConverter<T> through the context, so they must be generated even where no property names them.
[JsonSerializable(typeof(bool))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(Dictionary<string, string?>))]
internal sealed partial class AdminJsonContext : JsonSerializerContext
{
    /// <summary>
    /// For the CLI, which reads answers from a gateway that may be newer than itself: members it does not know are skipped,
    /// not refused (a new view field must not break an old CLI). Immutable once built.
    /// </summary>
    public static AdminJsonContext Lenient { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        AllowDuplicateProperties = false,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
        RespectNullableAnnotations = true,
        MaxDepth = KeyRequests.MaxDepth,
    });
}

/// <summary>
/// A PATCH member that may be absent, given as null, or given a value: the one distinction the serializer cannot make
/// by itself (a plain nullable member reads both absent and null as null). Absent is <c>default</c>.
/// </summary>
internal readonly record struct Optional<T>(bool IsGiven, bool IsNull, T? Value);

/// <summary>Reads an <see cref="Optional{T}"/>: null is kept as "given as null"; the value is read by the context's own type info.</summary>
internal sealed class OptionalConverter<T> : JsonConverter<Optional<T>>
{
    public override bool HandleNull => true;

    public override Optional<T> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return new Optional<T>(true, true, default);
        }

        try
        {
            return new Optional<T>(true, false, JsonSerializer.Deserialize(ref reader, (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T))));
        }
        catch (JsonException ex)
        {
            // The inner read knows only its own path ("$"); without one, the outer read fills in the member's path.
            throw new JsonException(ex.Message, ex);
        }
    }

    public override void Write(Utf8JsonWriter writer, Optional<T> value, JsonSerializerOptions options) =>
        throw new NotSupportedException("Optional<T> is for reading PATCH bodies only.");
}
