using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Audit;
using Gateway.Keys;

namespace Gateway.Admin;

/// <summary>Turns an admin call into an audit entry, and serves <c>GET /admin/audit</c>.</summary>
internal static class AdminAudit
{
    public const string ClientHeader = "X-Gateway-Client";
    public const int MaxLimit = 1000;

    public static Task RecordAsync(HttpContext http, string action, ApiKey? before, ApiKey? after)
    {
        var audit = http.RequestServices.GetRequiredService<AuditLog>();
        var time = http.RequestServices.GetRequiredService<TimeProvider>();
        return audit.AppendAsync(new AuditEntry(
            time.GetUtcNow(),
            // The credential's configured name (admin-token for Admin:Token), never its value or hash. Only calls that
            // passed RequireAdminToken are audited, so the caller is known; "unknown" would mark a filter left out.
            http.Features.Get<AdminCaller>()?.Name ?? "unknown",
            ClientOf(http),
            http.Connection.RemoteIpAddress?.ToString(),
            action,
            after?.Id ?? before?.Id,
            before is null ? null : ViewOf(before),
            after is null ? null : ViewOf(after),
            after?.Version ?? before?.Version));
    }

    public static async Task<IResult> ReadAsync(HttpRequest request, AuditLog audit)
    {
        var limit = 100;
        var given = request.Query["limit"];
        if (given.Count > 1 || (given.Count == 1 && (!int.TryParse(given[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out limit) || limit < 1 || limit > MaxLimit)))
        {
            return AdminResults.Refused(AdminRefusals.InvalidField("limit", $"must be a whole number from 1 to {MaxLimit}"));
        }

        var entries = await audit.ReadAsync(limit).ConfigureAwait(false);
        return AdminResults.Json(200, new AuditView(entries), AdminJsonContext.Default.AuditView);
    }

    /// <summary>What the caller says it is (<c>cli</c>, <c>settings</c>), reduced to a short safe token; else <c>api</c>.</summary>
    private static string ClientOf(HttpContext http)
    {
        var value = http.Request.Headers[ClientHeader].ToString();
        return value.Length is > 0 and <= 32 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '/' or '-' or '_')
            ? value
            : "api";
    }

    // The entry keeps the view exactly as the API showed it (same record, same serializer).
    private static JsonNode ViewOf(ApiKey key) => JsonSerializer.SerializeToNode(KeyView.Of(key), AdminJsonContext.Default.KeyView)!;
}
