using Gateway.Configuration;
using Gateway.Store;
using Gateway.Usage;
using Microsoft.Extensions.Options;

namespace Gateway.Admin;

/// <summary><c>GET /admin/keys/{id}/usage?days=N</c>: a key's counts per UTC day and target, read from Redis.</summary>
internal static class AdminUsage
{
    public static async Task<IResult> ReadAsync(string id, HttpRequest request, KeyStore store, UsageStore usage, IOptions<UsageOptions> options, TimeProvider time)
    {
        var days = 30;
        var given = request.Query["days"];
        if (given.Count > 1 || (given.Count == 1 && (!int.TryParse(given[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out days)
            || days < 1 || days > options.Value.RetentionDays)))
        {
            return AdminResults.Refused(AdminRefusals.InvalidField("days", $"must be a whole number from 1 to {options.Value.RetentionDays}"));
        }

        var key = await store.GetAsync(id).ConfigureAwait(false);
        if (key is null)
        {
            return AdminResults.Refused(AdminRefusals.KeyNotFound);
        }

        var counts = await usage.ReadAsync(id, UsageDays.Of(time.GetUtcNow()), days).ConfigureAwait(false);
        var view = new UsageView(
            key.Id,
            AdminTimes.Format(key.LastUsedAt),
            counts.Select(c => new UsageDayView(
                UsageDays.Start(c.Day).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
                c.Targets.ToDictionary(t => t.Key, t => new UsageCountsView(t.Value.Allowed, t.Value.Denied, t.Value.Limited), StringComparer.Ordinal))).ToList());
        return AdminResults.Json(200, view, AdminJsonContext.Default.UsageView);
    }
}
