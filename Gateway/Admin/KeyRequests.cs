using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Gateway.Enforcement;
using Gateway.Keys;
using Gateway.RateLimiting;

namespace Gateway.Admin;

/// <summary>What a create or PATCH asks to change; <c>null</c> members were not given.</summary>
internal sealed record KeyChanges(
    string? Name,
    bool? Enabled,
    AccessLevel? GraphQL,
    IReadOnlyDictionary<string, AccessLevel>? Endpoints,
    bool ExpiresAtGiven,
    DateTimeOffset? ExpiresAt)
{
    /// <summary>The key's new limits (contract §9); <c>[]</c> removes them, null leaves them.</summary>
    public RateLimitRule[]? RateLimits { get; init; }
}

internal sealed record LegacyEntry(string Key, string Name, AccessLevel GraphQL);

/// <summary>Reads admin request bodies strictly: unknown or duplicate members, wrong types and bad values are 400s naming the field.</summary>
internal static class KeyRequests
{
    public const int MaxBodyBytes = 4 * 1024 * 1024;
    public const int MaxNameLength = 64;
    public const int MaxEndpointEntries = 1000;
    public const int MaxLegacyEntries = 10_000;

    /// <summary>
    /// Reads the body as one JSON object, at most <see cref="MaxBodyBytes"/> whether it has a <c>Content-Length</c> or is
    /// chunked: past that it is 413 and nothing more is read. The bytes are counted here, not left to Kestrel's limit, which
    /// counts chunk framing too (see <see cref="AdminEndpoints"/>), so the bound is exact and holds on any server.
    /// </summary>
    public static async Task<(JsonDocument? Document, Refusal? Error)> ReadObjectAsync(HttpRequest request)
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

                try
                {
                    return ParseObject(buffer);
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

    private static (JsonDocument? Document, Refusal? Error) ParseObject(ReadOnlySequence<byte> body)
    {
        try
        {
            // A copy: a document parsed from a one-segment sequence would keep pointing into the pipe's buffer.
            var document = JsonDocument.Parse(body.ToArray(), new JsonDocumentOptions { MaxDepth = 16 });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                document.Dispose();
                return (null, AdminRefusals.InvalidField("body", "must be a JSON object"));
            }

            return (document, null);
        }
        catch (JsonException)
        {
            return (null, AdminRefusals.InvalidField("body", "is not valid JSON"));
        }
    }

    public static Refusal? ParseChanges(JsonElement body, bool isCreate, DateTimeOffset now, out KeyChanges changes)
    {
        changes = new KeyChanges(null, null, null, null, false, null);
        string? name = null;
        bool? enabled = null;
        AccessLevel? graphql = null;
        IReadOnlyDictionary<string, AccessLevel>? endpoints = null;
        var expiresGiven = false;
        DateTimeOffset? expiresAt = null;
        RateLimitRule[]? rateLimits = null;
        var seen = new HashSet<string>(StringComparer.Ordinal);

        foreach (var member in body.EnumerateObject())
        {
            if (!seen.Add(member.Name))
            {
                return AdminRefusals.InvalidField(Safe(member.Name), "is given twice");
            }

            switch (member.Name)
            {
                case "name":
                    if (ParseName(member.Value, "name", out name) is { } nameError)
                    {
                        return nameError;
                    }

                    break;
                case "enabled":
                    if (member.Value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                    {
                        return AdminRefusals.InvalidField("enabled", "must be true or false");
                    }

                    enabled = member.Value.GetBoolean();
                    break;
                case "graphql":
                    if (member.Value.ValueKind != JsonValueKind.String || !AccessLevels.TryParse(member.Value.GetString(), out var level))
                    {
                        return AdminRefusals.InvalidField("graphql", "must be one of none, read, readwrite");
                    }

                    graphql = level;
                    break;
                case "endpoints":
                    if (ParseEndpoints(member.Value, out endpoints) is { } endpointsError)
                    {
                        return endpointsError;
                    }

                    break;
                case "expiresAt":
                    expiresGiven = true;
                    if (member.Value.ValueKind == JsonValueKind.Null)
                    {
                        break;
                    }

                    if (member.Value.ValueKind != JsonValueKind.String
                        || !DateTimeOffset.TryParse(member.Value.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var expires))
                    {
                        return AdminRefusals.InvalidField("expiresAt", "must be an ISO 8601 time or null");
                    }

                    if (expires <= now)
                    {
                        return AdminRefusals.InvalidField("expiresAt", "must be in the future (to stop a key now, disable it)");
                    }

                    expiresAt = expires;
                    break;
                case "rateLimits":
                    if (ParseRateLimits(member.Value, out rateLimits) is { } limitsError)
                    {
                        return limitsError;
                    }

                    break;
                default:
                    return AdminRefusals.InvalidField(Safe(member.Name), "is not a known field");
            }
        }

        if (isCreate && name is null)
        {
            return AdminRefusals.InvalidField("name", "is required");
        }

        changes = new KeyChanges(name, enabled, graphql, endpoints, expiresGiven, expiresAt) { RateLimits = rateLimits };
        return null;
    }

    public static Refusal? ParseLegacyImport(JsonElement body, out List<LegacyEntry> entries)
    {
        entries = [];
        JsonElement? keys = null;
        foreach (var member in body.EnumerateObject())
        {
            if (member.Name != "keys" || keys is not null)
            {
                return AdminRefusals.InvalidField(Safe(member.Name), keys is null ? "is not a known field" : "is given twice");
            }

            keys = member.Value;
        }

        if (keys is not { ValueKind: JsonValueKind.Array } array)
        {
            return AdminRefusals.InvalidField("keys", "must be an array");
        }

        if (array.GetArrayLength() > MaxLegacyEntries)
        {
            return AdminRefusals.InvalidField("keys", $"at most {MaxLegacyEntries} entries per call");
        }

        var index = 0;
        foreach (var item in array.EnumerateArray())
        {
            var at = $"keys[{index++}]";
            if (item.ValueKind != JsonValueKind.Object)
            {
                return AdminRefusals.InvalidField(at, "must be an object");
            }

            string? key = null, name = null;
            AccessLevel? graphql = null;
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var member in item.EnumerateObject())
            {
                if (!seen.Add(member.Name))
                {
                    return AdminRefusals.InvalidField($"{at}.{Safe(member.Name)}", "is given twice");
                }

                switch (member.Name)
                {
                    case "key":
                        key = member.Value.ValueKind == JsonValueKind.String ? member.Value.GetString() : null;
                        // The key is never echoed: only where it is and what is wrong with it.
                        if (key is null || KeyFormat.Classify(key) != KeyForm.Legacy)
                        {
                            return AdminRefusals.InvalidField($"{at}.key", "must be 16 to 256 printable ASCII characters without spaces, not an rpa_ key");
                        }

                        break;
                    case "name":
                        if (ParseName(member.Value, $"{at}.name", out name) is { } nameError)
                        {
                            return nameError;
                        }

                        break;
                    case "graphql":
                        if (member.Value.ValueKind != JsonValueKind.String || !AccessLevels.TryParse(member.Value.GetString(), out var level)
                            || level == AccessLevel.None)
                        {
                            return AdminRefusals.InvalidField($"{at}.graphql", "must be read or readwrite");
                        }

                        graphql = level;
                        break;
                    default:
                        return AdminRefusals.InvalidField($"{at}.{Safe(member.Name)}", "is not a known field");
                }
            }

            if (key is null || name is null || graphql is null)
            {
                return AdminRefusals.InvalidField(at, "needs key, name and graphql");
            }

            entries.Add(new LegacyEntry(key, name, graphql.Value));
        }

        return null;
    }

    private static Refusal? ParseName(JsonElement value, string field, out string? name)
    {
        name = value.ValueKind == JsonValueKind.String ? value.GetString()?.Trim() : null;
        if (name is null)
        {
            return AdminRefusals.InvalidField(field, "must be a string");
        }

        if (name.Length == 0 || name.Length > MaxNameLength)
        {
            return AdminRefusals.InvalidField(field, $"must be 1 to {MaxNameLength} characters after trimming");
        }

        if (name.Any(char.IsControl))
        {
            return AdminRefusals.InvalidField(field, "must not hold control characters");
        }

        return null;
    }

    private static Refusal? ParseEndpoints(JsonElement value, out IReadOnlyDictionary<string, AccessLevel>? endpoints)
    {
        endpoints = null;
        if (value.ValueKind != JsonValueKind.Object)
        {
            return AdminRefusals.InvalidField("endpoints", "must be an object of endpoint id (or *) to level");
        }

        var wire = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var member in value.EnumerateObject())
        {
            if (wire.Count == MaxEndpointEntries)
            {
                return AdminRefusals.InvalidField("endpoints", $"at most {MaxEndpointEntries} entries");
            }

            if (member.Value.ValueKind != JsonValueKind.String)
            {
                return AdminRefusals.InvalidField($"endpoints[\"{Safe(member.Name)}\"]", "must be one of none, read, readwrite");
            }

            if (!wire.TryAdd(member.Name, member.Value.GetString()!))
            {
                return AdminRefusals.InvalidField($"endpoints[\"{Safe(member.Name)}\"]", "is given twice");
            }
        }

        if (!ScopeValidation.TryParseEndpoints(wire, out var parsed, out var error))
        {
            return AdminRefusals.InvalidField("endpoints", error ?? "is invalid");
        }

        endpoints = parsed;
        return null;
    }

    private static Refusal? ParseRateLimits(JsonElement value, out RateLimitRule[]? rules)
    {
        rules = null;
        const string Shape = "must be an array of up to 3 {\"requests\": n, \"windowSeconds\": w}";
        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() > RateLimitRule.MaxRules)
        {
            return AdminRefusals.InvalidField("rateLimits", Shape);
        }

        var parsed = new List<RateLimitRule>();
        foreach (var item in value.EnumerateArray())
        {
            int? requests = null, window = null;
            if (item.ValueKind != JsonValueKind.Object)
            {
                return AdminRefusals.InvalidField("rateLimits", Shape);
            }

            foreach (var member in item.EnumerateObject())
            {
                var isRequests = member.Name == "requests";
                if ((!isRequests && member.Name != "windowSeconds") || (isRequests ? requests : window) is not null
                    || member.Value.ValueKind != JsonValueKind.Number || !member.Value.TryGetInt32(out var number))
                {
                    return AdminRefusals.InvalidField("rateLimits",
                        $"{Shape}: requests 1 to {RateLimitRule.MaxRequests}, windowSeconds 1 to {RateLimitRule.MaxWindowSeconds}");
                }

                if (isRequests)
                {
                    requests = number;
                }
                else
                {
                    window = number;
                }
            }

            if (requests is null || window is null)
            {
                return AdminRefusals.InvalidField("rateLimits", "each limit needs requests and windowSeconds");
            }

            parsed.Add(new RateLimitRule(requests.Value, window.Value));
        }

        if (RateLimitRule.Validate(parsed) is { } problem)
        {
            return AdminRefusals.InvalidField("rateLimits", problem);
        }

        rules = [.. parsed.OrderBy(r => r.WindowSeconds)];
        return null;
    }

    // Client input is echoed only in short, printable form.
    private static string Safe(string text)
    {
        var cut = text.Length > 64 ? text[..64] : text;
        return string.Concat(cut.Select(c => char.IsControl(c) ? '?' : c));
    }
}
