using System.Globalization;
using System.Text.Json;
using Gateway.Keys;

namespace Gateway.Admin;

/// <summary>The admin API's view of a key: never the plaintext (except once, on create) and never its hash.</summary>
internal static class KeyView
{
    public static void Write(Utf8JsonWriter json, ApiKey key, string? plaintext = null)
    {
        json.WriteStartObject();
        json.WriteString("id", key.Id);
        json.WriteString("name", key.Name);
        json.WriteString("kind", key.Kind.ToWire());
        json.WriteString("prefix", key.Prefix);
        json.WriteString("permission", key.Scopes.Permission);
        json.WriteString("graphql", key.Scopes.GraphQL.ToWire());
        json.WriteStartObject("endpoints");
        foreach (var (endpoint, level) in key.Scopes.Endpoints.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            json.WriteString(endpoint, level.ToWire());
        }

        json.WriteEndObject();
        json.WriteBoolean("enabled", key.Enabled);
        WriteTime(json, "createdAt", key.CreatedAt);
        WriteTime(json, "lastUsedAt", key.LastUsedAt);
        WriteTime(json, "expiresAt", key.ExpiresAt);
        json.WriteStartArray("rateLimits");
        foreach (var rule in key.RateLimits)
        {
            json.WriteStartObject();
            json.WriteNumber("requests", rule.Requests);
            json.WriteNumber("windowSeconds", rule.WindowSeconds);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        if (plaintext is not null)
        {
            json.WriteString("key", plaintext);
        }

        json.WriteEndObject();
    }

    public static string Time(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static void WriteTime(Utf8JsonWriter json, string name, DateTimeOffset? time)
    {
        if (time is { } t)
        {
            json.WriteString(name, Time(t));
        }
        else
        {
            json.WriteNull(name);
        }
    }
}
