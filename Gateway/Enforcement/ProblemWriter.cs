using System.Text.Json;

namespace Gateway.Enforcement;

/// <summary>The one place every refusal is written: <c>application/problem+json</c> with status, title, detail and code.</summary>
public static class ProblemWriter
{
    public const string ContentType = "application/problem+json";

    // Problem documents are JSON, never HTML: quotes and angle brackets need no \u escapes to be safe.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Task WriteAsync(HttpContext context, Refusal refusal)
    {
        var response = context.Response;
        response.StatusCode = refusal.Status;
        response.ContentType = ContentType;
        response.Headers.CacheControl = "no-store";
        if (refusal.Status == StatusCodes.Status401Unauthorized)
        {
            response.Headers.WWWAuthenticate = refusal.Code == Refusal.MissingKey.Code
                ? "Bearer"
                : "Bearer error=\"invalid_token\"";
        }

        if (refusal.RetryAfterSeconds > 0)
        {
            response.Headers.RetryAfter = refusal.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (refusal.RateLimitPolicy is not null)
        {
            response.Headers["RateLimit-Policy"] = refusal.RateLimitPolicy;
            response.Headers["RateLimit"] = refusal.RateLimit;
        }

        if (refusal.Status == StatusCodes.Status405MethodNotAllowed)
        {
            response.Headers.Allow = refusal.Allow ?? "GET, POST";
        }

        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("type", "about:blank");
            json.WriteString("title", refusal.Title);
            json.WriteNumber("status", refusal.Status);
            json.WriteString("detail", refusal.Detail);
            json.WriteString("code", refusal.Code);
            json.WriteEndObject();
        }

        response.ContentLength = buffer.WrittenCount;
        return response.Body.WriteAsync(buffer.WrittenMemory).AsTask();
    }
}
