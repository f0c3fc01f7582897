using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Gateway.Enforcement;

namespace Gateway.Admin;

/// <summary>Reads an admin request body, bounded, into one of the <see cref="AdminJsonContext"/> records.</summary>
internal static class AdminBody
{
    private const int MaxBodyBytes = KeyRequests.MaxBodyBytes;
    private const int MaxDepth = KeyRequests.MaxDepth;

    /// <summary>
    /// Reads the body as one JSON object of type <typeparamref name="T"/>, at most <see cref="MaxBodyBytes"/> whether it
    /// has a <c>Content-Length</c> or is chunked: past that it is 413 and nothing more is read. The bytes are counted here,
    /// not left to Kestrel's limit, which counts chunk framing too (see <see cref="AdminEndpoints"/>), so the bound is
    /// exact and holds on any server. <paramref name="whenEmpty"/>, if given, is the answer for a body of no bytes at all
    /// (a call whose every member is optional); otherwise an empty body is not a JSON object (400).
    /// </summary>
    public static async Task<(T? Value, Refusal? Error)> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> type, T? whenEmpty = null)
        where T : class
    {
        if (request.ContentLength > MaxBodyBytes)
        {
            return (null, AdminRefusals.PayloadTooLarge);
        }

        var reader = request.BodyReader;
        try
        {
            while (true)
            {
                var read = await reader.ReadAsync(request.HttpContext.RequestAborted).ConfigureAwait(false);
                var buffer = read.Buffer;
                if (buffer.Length > MaxBodyBytes)
                {
                    reader.AdvanceTo(buffer.End);
                    return (null, AdminRefusals.PayloadTooLarge);
                }

                if (!read.IsCompleted)
                {
                    // Nothing consumed yet: the whole body stays in the pipe until it is complete.
                    reader.AdvanceTo(buffer.Start, buffer.End);
                    continue;
                }

                if (buffer.IsEmpty && whenEmpty is not null)
                {
                    reader.AdvanceTo(buffer.End);
                    return (whenEmpty, null);
                }

                try
                {
                    // Read before the buffer goes back to the pipe: the records hold copies, not views into it.
                    return Deserialize(buffer, type);
                }
                finally
                {
                    reader.AdvanceTo(buffer.End);
                }
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, AdminRefusals.PayloadTooLarge);
        }
    }

    internal static (T? Value, Refusal? Error) Deserialize<T>(ReadOnlySequence<byte> body, JsonTypeInfo<T> type)
        where T : class
    {
        // Syntax first, on its own: a body that is not JSON is the body's fault, not the field the reader stopped in.
        if (CheckSyntax(body) is { } syntax)
        {
            return (null, syntax);
        }

        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = MaxDepth });
            var value = JsonSerializer.Deserialize(ref reader, type);
            return value is null ? (null, AdminRefusals.InvalidField("body", "must be a JSON object")) : (value, null);
        }
        catch (JsonException ex)
        {
            return (null, AdminRefusals.InvalidField(FieldOf(ex.Path), ProblemOf(ex)));
        }
    }

    private static Refusal? CheckSyntax(ReadOnlySequence<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = MaxDepth });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return AdminRefusals.InvalidField("body", "must be a JSON object");
            }

            reader.Skip();
            // Anything after the object but white space is refused by the reader itself.
            while (reader.Read())
            {
            }

            return null;
        }
        catch (JsonException)
        {
            return AdminRefusals.InvalidField("body", "is not valid JSON");
        }
    }

    /// <summary>The serializer's JSON path (<c>$.keys[0].name</c>, <c>$.endpoints.ep1</c>) as the field the detail names.</summary>
    private static string FieldOf(string? path) => path switch
    {
        null or "$" => "body",
        _ when path.StartsWith("$.", StringComparison.Ordinal) => Safe(path[2..]),
        _ => Safe(path.TrimStart('$')),
    };

    // Only chooses the words after the field; the serializer's own message is never echoed. An unrecognised message
    // still gives a 400 naming the field, with the generic wording.
    private static string ProblemOf(JsonException ex) => ex.Message switch
    {
        var m when m.Contains("could not be mapped to any .NET member", StringComparison.Ordinal) => "is not a known field",
        var m when m.Contains("Duplicate propert", StringComparison.Ordinal) => "is given twice",
        var m when m.Contains("missing required properties", StringComparison.Ordinal) => "is missing a required member",
        var m when m.Contains("doesn't allow null", StringComparison.Ordinal) => "cannot be null",
        _ => "has the wrong type (or is not valid here)",
    };
    private static string Safe(string text) => KeyRequests.Safe(text);
}
