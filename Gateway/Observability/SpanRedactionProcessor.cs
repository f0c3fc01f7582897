using System.Diagnostics;
using OpenTelemetry;

namespace Gateway.Observability;

/// <summary>
/// Removes keys from the URL attributes of every span before any exporter sees it (it is registered ahead of them).
/// ASP.NET Core's and HttpClient's instrumentation redact query values themselves, but each has an opt-out by
/// environment variable (<c>OTEL_DOTNET_EXPERIMENTAL_ASPNETCORE_DISABLE_URL_QUERY_REDACTION</c>,
/// <c>OTEL_DOTNET_EXPERIMENTAL_HTTPCLIENT_DISABLE_URL_QUERY_REDACTION</c>, the runtime's
/// <c>DOTNET_SYSTEM_NET_HTTP_DISABLEURIREDACTION</c>), and with it set the server span's <c>url.query</c> carried the
/// <c>api_key</c> parameter. This processor does not depend on them: the same redaction as the logs (<see cref="LogRedaction"/>)
/// runs on every URL attribute when the span ends, whatever they are set to. It fails closed: over-redaction is the safe side.
/// </summary>
internal sealed class SpanRedactionProcessor : BaseProcessor<Activity>
{
    public override void OnEnd(Activity data)
    {
        List<KeyValuePair<string, string>>? redacted = null;
        foreach (var (name, value) in data.Tags)
        {
            if (IsUrlAttribute(name) && LogRedaction.MayHold(value))
            {
                (redacted ??= []).Add(new(name, RedactUrl(name, value!)));
            }
        }

        // Set after the loop: changing a tag while enumerating them is not allowed.
        foreach (var (name, value) in redacted ?? [])
        {
            data.SetTag(name, value);
        }
    }

    // url.query, url.full and url.original in the current conventions; http.target and http.url in the old ones.
    private static bool IsUrlAttribute(string name) =>
        name.StartsWith("url.", StringComparison.Ordinal) || name is "http.target" or "http.url";

    // url.query holds the query without its '?', so its first parameter would not be found as one by itself.
    private static string RedactUrl(string name, string value) =>
        name == "url.query" && !value.StartsWith('?') ? LogRedaction.Redact("?" + value)[1..] : LogRedaction.Redact(value);
}
