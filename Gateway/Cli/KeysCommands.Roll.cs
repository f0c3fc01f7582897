using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Gateway.Admin;

namespace Gateway.Cli;

internal sealed partial class KeysCommands
{
    /// <summary>
    /// <c>keys roll ID [--grace DURATION]</c>: a new key with the old one's settings; the old one keeps working for the grace
    /// (default none). Prints the new key once, and when the old one stops working.
    /// </summary>
    public async Task<int> RollAsync()
    {
        var id = Id();
        var grace = parse.GetValue(o.Grace);
        var path = $"/admin/keys/{Uri.EscapeDataString(id)}";
        var (created, text) = await SendAsync(HttpMethod.Post, path + "/roll", new JsonObject { ["graceSeconds"] = grace }, HttpStatusCode.Created, AdminJsonContext.Lenient.KeyView);
        // The old key as it is now stored (replacedBy, its moved expiresAt): read back, not computed here.
        var (old, oldText) = await SendAsync(HttpMethod.Get, path, null, HttpStatusCode.OK, AdminJsonContext.Lenient.KeyView);
        if (output.Json)
        {
            await output.WriteJsonAsync(new JsonObject { ["new"] = JsonNode.Parse(text), ["old"] = JsonNode.Parse(oldText) });
            return 0;
        }

        await WriteKeysAsync([created]);
        await output.Out.WriteLineAsync();
        await output.Out.WriteLineAsync($"key: {created.Key}");
        await output.Out.WriteLineAsync($"old key {old.Id} expires at {old.ExpiresAt}");
        await output.Err.WriteLineAsync("This is the only time the key is shown. Store it now; it cannot be recovered.");
        return 0;
    }

    /// <summary>Plain seconds, or a whole number with <c>s</c>, <c>m</c>, <c>h</c> or <c>d</c> (<c>90s</c>, <c>15m</c>, <c>24h</c>, <c>7d</c>).</summary>
    internal static long GraceSeconds(string given) =>
        TryGraceSeconds(given, out var seconds) ? seconds : throw new CliException(InvalidGrace(given), CliException.UsageError);

    internal static bool TryGraceSeconds(string given, out long seconds)
    {
        seconds = 0;
        var (number, scale) = given.Length == 0 || char.IsAsciiDigit(given[^1])
            ? (given, 1L)
            : (given[..^1], given[^1] switch { 's' => 1L, 'm' => 60L, 'h' => 3600L, 'd' => 86400L, _ => 0L });
        if (scale == 0 || !long.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var count)
            || count > AdminRoll.MaxGraceSeconds / scale)
        {
            return false;
        }

        seconds = count * scale;
        return true;
    }

    internal static string InvalidGrace(string given) =>
        $"--grace takes seconds or a whole number with s, m, h or d, at most 7d ({AdminRoll.MaxGraceSeconds} s), not '{given}'.";
}
