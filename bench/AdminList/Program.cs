using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

// load:    AdminList load --count N --prefix gw: --cursor-out deep.txt > keys.resp
//          Layout (Gateway/Store/KeyStore.cs, KeyStore.List.cs, KeyRecordCodec.cs): record hash, keyid string, the
//          pre-page scored list, the order index member {createdAt:D15}:{id}, the search text, and the index-built marker.
//          Key i is created i ms before the first, so the list's order is known; deep.txt holds the cursor after key N/2.
// measure: AdminList measure --admin URL --token T --deep CURSOR --query Q --requests N --rounds R
//          Interleaved rounds; each round times N sequential requests of each case; prints JSON per case and round.
var options = new Dictionary<string, string>(StringComparer.Ordinal);
for (var i = 1; i + 1 < args.Length; i += 2)
{
    options[args[i].TrimStart('-')] = args[i + 1];
}

return args[0] switch
{
    "load" => Load(options),
    "measure" => await MeasureAsync(options),
    _ => throw new ArgumentException("load or measure"),
};

static int Load(Dictionary<string, string> options)
{
    var count = int.Parse(options["count"], CultureInfo.InvariantCulture);
    var prefix = options.GetValueOrDefault("prefix", "gw:");
    var first = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    using var stdout = Console.OpenStandardOutput();
    using var resp = new BufferedStream(stdout, 1 << 20);
    var sb = new StringBuilder(1024);
    for (var n = 0; n < count; n++)
    {
        var id = "key_" + Base62(20);
        var digest = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var keyPrefix = "rpa_" + Base62(8);
        var createdAt = (first - n).ToString(CultureInfo.InvariantCulture);
        var name = "bench key " + n.ToString(CultureInfo.InvariantCulture);
        var member = (first - n).ToString("D15", CultureInfo.InvariantCulture) + ":" + id;
        sb.Clear();
        Command(sb, "HSET", prefix + "key:" + digest, "id", id, "name", name, "kind", "rpa", "prefix", keyPrefix, "enabled", "1",
            "createdAt", createdAt, "expiresAt", "0", "graphql", "read", "endpoints", """{"*":"read"}""", "version", "1");
        Command(sb, "SET", prefix + "keyid:" + id, digest);
        Command(sb, "ZADD", prefix + "keys", createdAt, id);
        Command(sb, "ZADD", prefix + "keyorder", "0", member);
        Command(sb, "HSET", prefix + "keysearch", id, $"1\n{createdAt}\n{name}\n{keyPrefix}");
        resp.Write(Encoding.UTF8.GetBytes(sb.ToString()));
        if (n == count / 2)
        {
            File.WriteAllText(options["cursor-out"], Convert.ToBase64String(Encoding.ASCII.GetBytes(member)).TrimEnd('=').Replace('+', '-').Replace('/', '_'));
        }
    }

    sb.Clear();
    Command(sb, "SET", prefix + "keyorder:built", first.ToString(CultureInfo.InvariantCulture));
    resp.Write(Encoding.UTF8.GetBytes(sb.ToString()));
    resp.Flush();
    return 0;
}

static async Task<int> MeasureAsync(Dictionary<string, string> options)
{
    using var client = new HttpClient { BaseAddress = new Uri(options["admin"]), Timeout = TimeSpan.FromSeconds(30) };
    client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", options["token"]);
    var requests = int.Parse(options["requests"], CultureInfo.InvariantCulture);
    var rounds = int.Parse(options["rounds"], CultureInfo.InvariantCulture);
    var cases = new (string Name, string Path, int Keys)[]
    {
        ("first page", "/admin/keys", 100),
        ("deep page (after key N/2)", "/admin/keys?cursor=" + options["deep"], 100),
        ("q page, no match (scans its budget)", "/admin/keys?q=" + Uri.EscapeDataString(options["query"]), 0),
        ("q page, 1 key in 10 matches", "/admin/keys?q=" + Uri.EscapeDataString("7"), -1),
    };

    // Warm-up: connections, JIT, the gateway's first admin calls.
    foreach (var c in cases)
    {
        await TimeAsync(client, c.Path, c.Keys);
    }

    var results = new List<object>();
    for (var round = 1; round <= rounds; round++)
    {
        foreach (var c in cases)
        {
            var times = new double[requests];
            for (var i = 0; i < requests; i++)
            {
                times[i] = await TimeAsync(client, c.Path, c.Keys);
            }

            Array.Sort(times);
            results.Add(new { @case = c.Name, round, n = requests, p50 = Percentile(times, 0.50), p99 = Percentile(times, 0.99), max = times[^1] });
        }
    }

    Console.WriteLine(JsonSerializer.Serialize(results));
    return 0;
}

static async Task<double> TimeAsync(HttpClient client, string path, int expectedKeys)
{
    var clock = Stopwatch.StartNew();
    using var response = await client.GetAsync(path);
    var body = await response.Content.ReadAsByteArrayAsync();
    var elapsed = clock.Elapsed.TotalMilliseconds;
    if (!response.IsSuccessStatusCode)
    {
        throw new InvalidOperationException($"{path}: {(int)response.StatusCode} {Encoding.UTF8.GetString(body)}");
    }

    using var page = JsonDocument.Parse(body);
    var keys = page.RootElement.GetProperty("keys").GetArrayLength();
    if (expectedKeys >= 0 && keys != expectedKeys)
    {
        throw new InvalidOperationException($"{path}: {keys} keys, expected {expectedKeys}");
    }

    return elapsed;
}

static double Percentile(double[] sorted, double p) =>
    Math.Round(sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)], 2);

static string Base62(int length)
{
    const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    return string.Create(length, 0, (span, _) =>
    {
        for (var i = 0; i < span.Length; i++)
        {
            span[i] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
        }
    });
}

static void Command(StringBuilder sb, params string[] parts)
{
    sb.Append('*').Append(parts.Length).Append("\r\n");
    foreach (var part in parts)
    {
        sb.Append('$').Append(Encoding.UTF8.GetByteCount(part)).Append("\r\n").Append(part).Append("\r\n");
    }
}
