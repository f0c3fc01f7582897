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
            return new AdminEndpoints.RefusalResult(AdminRefusals.InvalidField("days", $"must be a whole number from 1 to {options.Value.RetentionDays}"));
        }

        var key = await store.GetAsync(id).ConfigureAwait(false);
        if (key is null)
        {
            return new AdminEndpoints.RefusalResult(AdminRefusals.KeyNotFound);
        }

        var counts = await usage.ReadAsync(id, UsageDays.Of(time.GetUtcNow()), days).ConfigureAwait(false);
        return new AdminEndpoints.JsonResult(200, json =>
        {
            json.WriteStartObject();
            json.WriteString("keyId", key.Id);
            if (key.LastUsedAt is { } lastUsed)
            {
                json.WriteString("lastUsedAt", KeyView.Time(lastUsed));
            }
            else
            {
                json.WriteNull("lastUsedAt");
            }

            json.WriteStartArray("days");
            foreach (var (day, targets) in counts)
            {
                json.WriteStartObject();
                json.WriteString("date", UsageDays.Start(day).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
                json.WriteStartObject("targets");
                foreach (var (target, (allowed, denied, limited)) in targets)
                {
                    json.WriteStartObject(target);
                    json.WriteNumber("allowed", allowed);
                    json.WriteNumber("denied", denied);
                    json.WriteNumber("limited", limited);
                    json.WriteEndObject();
                }

                json.WriteEndObject();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        });
    }
}
