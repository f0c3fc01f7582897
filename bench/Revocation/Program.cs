using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

// Revocation latency: for each trial, disable a key through the admin API of the first instance and measure, from
// the moment the PATCH is sent, until EVERY instance refuses it (403 key_disabled); then enable it and measure until
// every instance accepts it again. Each instance is polled by its own loop, one request at a time on a kept-alive
// connection, as fast as it answers. Every wait is bounded (--timeout-ms); a trial that hits it is reported as such.
//
//   Revocation --admin http://127.0.0.1:A --token T --proxies http://127.0.0.1:P1,http://127.0.0.1:P2,... [--trials 200] [--warmup 3] [--out file.json]
var options = Args.Parse(args);
var adminUri = new Uri(options["admin"]);
var proxies = options["proxies"].Split(',', StringSplitOptions.RemoveEmptyEntries).Select(p => new Uri(p)).ToArray();
var trials = int.Parse(options.GetValueOrDefault("trials", "200"), CultureInfo.InvariantCulture);
var warmup = int.Parse(options.GetValueOrDefault("warmup", "3"), CultureInfo.InvariantCulture);
var timeout = TimeSpan.FromMilliseconds(int.Parse(options.GetValueOrDefault("timeout-ms", "5000"), CultureInfo.InvariantCulture));

using var admin = new HttpClient { BaseAddress = adminUri, Timeout = TimeSpan.FromSeconds(10) };
admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", options["token"]);
var created = await admin.PostAsJsonAsync("/admin/keys", new { name = "revocation bench", graphql = "none", endpoints = new Dictionary<string, string> { ["*"] = "read" } });
created.EnsureSuccessStatusCode();
var view = await created.Content.ReadFromJsonAsync<JsonElement>();
var keyId = view.GetProperty("id").GetString()!;
var key = view.GetProperty("key").GetString()!;

var pollers = proxies.Select(p => new Poller(p, key)).ToArray();
foreach (var poller in pollers)
{
    if (await poller.StatusAsync() != HttpStatusCode.OK)
    {
        throw new InvalidOperationException($"{poller.Uri} does not accept a fresh key");
    }
}

var disable = new List<double>();
var enable = new List<double>();
var patchMs = new List<double>();
var perInstance = proxies.Select(_ => new List<double>()).ToArray();
var timeouts = 0;
long polls = 0;
// The first trials are not recorded: they JIT the admin PATCH path and warm every connection.
for (var trial = -warmup; trial < trials; trial++)
{
    foreach (var (enabled, results) in new[] { (false, disable), (true, enable) })
    {
        var want = enabled ? HttpStatusCode.OK : HttpStatusCode.Forbidden;
        var started = Stopwatch.GetTimestamp();
        using var cts = new CancellationTokenSource(timeout);
        var waits = pollers.Select(p => p.UntilAsync(want, started, cts.Token)).ToArray();
        var patch = await admin.PatchAsJsonAsync($"/admin/keys/{keyId}", new { enabled });
        patchMs.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        if (!patch.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"PATCH answered {(int)patch.StatusCode}: {await patch.Content.ReadAsStringAsync()}");
        }
        var seen = await Task.WhenAll(waits);
        if (trial < 0)
        {
            patchMs.RemoveAt(patchMs.Count - 1);
            continue;
        }

        polls += seen.Sum(s => s.Polls);
        if (seen.Any(s => s.Ms is null))
        {
            timeouts++;
            continue;
        }

        for (var i = 0; i < seen.Length; i++)
        {
            perInstance[i].Add(seen[i].Ms!.Value);
        }

        results.Add(seen.Max(s => s.Ms!.Value));
    }
}

await admin.DeleteAsync($"/admin/keys/{keyId}");

var report = new
{
    trials,
    instances = proxies.Length,
    timeouts,
    polls,
    disable = Stats.Of(disable),
    enable = Stats.Of(enable),
    both = Stats.Of([.. disable, .. enable]),
    adminPatch = Stats.Of(patchMs),
    perInstance = perInstance.Select(Stats.Of).ToArray(),
};
var json = JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true });
Console.WriteLine(json);
if (options.TryGetValue("out", out var outPath))
{
    await File.WriteAllTextAsync(outPath, json);
}

return timeouts == 0 ? 0 : 1;

/// <summary>One instance's poller: one request at a time on one kept-alive connection.</summary>
internal sealed class Poller(Uri proxy, string key)
{
    private readonly HttpClient _client = new(new SocketsHttpHandler { MaxConnectionsPerServer = 1, UseProxy = false })
    {
        BaseAddress = proxy,
        Timeout = TimeSpan.FromSeconds(5),
    };

    public Uri Uri => proxy;

    public async Task<HttpStatusCode> StatusAsync(CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v2/revocation-ep/status/job");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + key);
        using var response = await _client.SendAsync(request, cancellationToken).ConfigureAwait(false);
        await response.Content.LoadIntoBufferAsync(cancellationToken).ConfigureAwait(false);
        return response.StatusCode;
    }

    /// <summary>Milliseconds from <paramref name="started"/> to the first answer with <paramref name="want"/>, or null at the deadline.</summary>
    public async Task<(double? Ms, long Polls)> UntilAsync(HttpStatusCode want, long started, CancellationToken cancellationToken)
    {
        long polls = 0;
        try
        {
            while (true)
            {
                polls++;
                if (await StatusAsync(cancellationToken).ConfigureAwait(false) == want)
                {
                    return (Stopwatch.GetElapsedTime(started).TotalMilliseconds, polls);
                }
            }
        }
        catch (OperationCanceledException)
        {
            return (null, polls);
        }
    }
}

internal static class Stats
{
    public static object Of(List<double> values)
    {
        if (values.Count == 0)
        {
            return new { n = 0 };
        }

        var sorted = values.Order().ToArray();
        return new { n = sorted.Length, p50 = At(sorted, 0.50), p90 = At(sorted, 0.90), p99 = At(sorted, 0.99), max = sorted[^1], mean = Math.Round(sorted.Average(), 3) };
    }

    // Nearest rank: the smallest value with at least q of the sample at or below it.
    private static double At(double[] sorted, double q) =>
        Math.Round(sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)], 3);
}

internal static class Args
{
    public static Dictionary<string, string> Parse(string[] args)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            map[args[i].TrimStart('-')] = args[i + 1];
        }

        foreach (var required in new[] { "admin", "token", "proxies" })
        {
            if (!map.ContainsKey(required))
            {
                throw new ArgumentException($"--{required} is required");
            }
        }

        return map;
    }
}
