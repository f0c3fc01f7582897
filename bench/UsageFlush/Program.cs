using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Gateway.Configuration;
using Gateway.Keys;
using Gateway.Observability;
using Gateway.Store;
using Gateway.Usage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;
using MsOptions = Microsoft.Extensions.Options.Options;

// The usage flush's cost in Redis, per key: the gateway's own UsageCounters, UsageFlusher and UsageStore (no host, no
// HTTP) count one request for each of --keys distinct keys, then flush; around each flush redis-server's CPU time
// (INFO cpu, used_cpu_user + used_cpu_sys) and its command counts (INFO commandstats, which also counts the commands a
// script runs) are read. Each flush prints one JSON line. Key records are loaded once per prefix (like bench/ColdPath's,
// as the gateway's store holds them); run it again with the same prefix and it is a restarted process on the
// same data: its first flush finds every usage hash already there.
//
// --day-offset D counts on the UTC day D days from today, so each run can start on a day with no usage yet: its first
// flush creates every key's hash for that day (and adds it to the day set), the later ones find them there, as a key
// used again within the day does.
//
//   UsageFlush --redis 127.0.0.1:6399 --prefix a: --keys 50000 --flushes 3 [--targets 1] [--day-offset 0] [--label build-a]
var options = new Dictionary<string, string>(StringComparer.Ordinal);
for (var i = 0; i + 1 < args.Length; i += 2)
{
    options[args[i].TrimStart('-')] = args[i + 1];
}

var redis = options["redis"];
var prefix = options.GetValueOrDefault("prefix", "bench:");
var keyCount = int.Parse(options.GetValueOrDefault("keys", "50000"), CultureInfo.InvariantCulture);
var flushes = int.Parse(options.GetValueOrDefault("flushes", "3"), CultureInfo.InvariantCulture);
var targets = int.Parse(options.GetValueOrDefault("targets", "1"), CultureInfo.InvariantCulture);
var label = options.GetValueOrDefault("label", "");
var time = new OffsetTime(TimeSpan.FromDays(int.Parse(options.GetValueOrDefault("day-offset", "0"), CultureInfo.InvariantCulture)));

using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
using var metrics = new GatewayMetrics(services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
var usageOptions = MsOptions.Create(new UsageOptions { MaxPendingCounters = Math.Max(1_000_000, keyCount * targets * 2) });
using var connection = new StoreConnection(
    MsOptions.Create(new RedisOptions { Configuration = redis, KeyPrefix = prefix }),
    MsOptions.Create(new StoreOptions()),
    NullLoggerFactory.Instance);
var keyStore = new KeyStore(connection);
var counters = new UsageCounters(usageOptions, time, metrics);
var store = new UsageStore(connection, keyStore, usageOptions, metrics);
using var flusher = new UsageFlusher(counters, store, usageOptions, time, metrics, NullLogger<UsageFlusher>.Instance);

var adminOptions = ConfigurationOptions.Parse(redis);
adminOptions.AllowAdmin = true;
using var admin = await ConnectionMultiplexer.ConnectAsync(adminOptions);
var server = admin.GetServer(admin.GetEndPoints()[0]);
var db = admin.GetDatabase();

var keys = new (ApiKey Key, KeyDigest Digest)[keyCount];
for (var i = 0; i < keyCount; i++)
{
    var id = "key_" + i.ToString("D20", CultureInfo.InvariantCulture);
    keys[i] = (new ApiKey(id, id, KeyKind.Rpa, "rpa_bench", true, DateTimeOffset.UnixEpoch, null, null, KeyScopes.All), KeyDigest.Compute(prefix + id));
}

var loaded = (RedisKey)(prefix + "bench:loaded");
if (!await db.KeyExistsAsync(loaded))
{
    // The records as the gateway writes them (KeyRecordCodec's fields), pipelined.
    var created = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    for (var start = 0; start < keyCount; start += 5000)
    {
        var batch = Enumerable.Range(start, Math.Min(5000, keyCount - start)).Select(i => db.HashSetAsync(keyStore.RecordKey(keys[i].Digest),
        [
            new("id", keys[i].Key.Id), new("name", "bench " + i.ToString(CultureInfo.InvariantCulture)), new("kind", "rpa"),
            new("prefix", "rpa_bench"), new("enabled", 1), new("createdAt", created), new("expiresAt", 0),
            new("graphql", "readwrite"), new("endpoints", """{"*":"readwrite"}"""), new("version", 1), new("rateLimits", ""),
        ]));
        await Task.WhenAll(batch);
    }

    await db.StringSetAsync(loaded, keyCount);
}

var scopeTargets = Enumerable.Range(0, targets).Select(t => ScopeTarget.Endpoint("bench-ep" + (t == 0 ? "" : t.ToString(CultureInfo.InvariantCulture)))).ToArray();
for (var flush = 1; flush <= flushes; flush++)
{
    foreach (var (key, _) in keys)
    {
        foreach (var target in scopeTargets)
        {
            counters.Record(key, target, allowed: true);
        }
    }

    var cpu0 = await RedisCpuAsync(server);
    var stats0 = await CommandStatsAsync(server);
    var clock = Stopwatch.StartNew();
    using (var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(5)))
    {
        await flusher.FlushRemainingAsync(deadline.Token);
    }

    var wallMs = clock.Elapsed.TotalMilliseconds;
    var cpu1 = await RedisCpuAsync(server);
    var stats1 = await CommandStatsAsync(server);
    var counted = (double)keyCount * targets;
    var commands = stats1
        .Where(s => s.Key != "info" && s.Value.Calls > stats0.GetValueOrDefault(s.Key).Calls)
        .OrderBy(s => s.Key, StringComparer.Ordinal)
        .ToDictionary(
            s => s.Key,
            s => new CommandCost(
                Math.Round((s.Value.Calls - stats0.GetValueOrDefault(s.Key).Calls) / counted, 4),
                Math.Round((s.Value.Usec - stats0.GetValueOrDefault(s.Key).Usec) / counted, 3)),
            StringComparer.Ordinal);
    var line = new FlushLine(label, prefix, flush, keyCount, targets, Math.Round((cpu1 - cpu0) * 1e6 / counted, 2), Math.Round(wallMs, 1), commands);
    Console.WriteLine(JsonSerializer.Serialize(line, FlushJson.Default.FlushLine));
}

return 0;

static async Task<double> RedisCpuAsync(IServer server)
{
    var info = await server.InfoRawAsync("cpu") ?? "";
    return Field(info, "used_cpu_user") + Field(info, "used_cpu_sys");

    static double Field(string info, string name)
    {
        var line = info.Split('\n').First(l => l.StartsWith(name + ":", StringComparison.Ordinal));
        return double.Parse(line[(name.Length + 1)..].Trim(), CultureInfo.InvariantCulture);
    }
}

static async Task<Dictionary<string, (long Calls, long Usec)>> CommandStatsAsync(IServer server)
{
    // cmdstat_hincrby:calls=10,usec=20,usec_per_call=2.00,rejected_calls=0,failed_calls=0
    var stats = new Dictionary<string, (long, long)>(StringComparer.Ordinal);
    foreach (var line in (await server.InfoRawAsync("commandstats") ?? "").Split('\n'))
    {
        if (!line.StartsWith("cmdstat_", StringComparison.Ordinal))
        {
            continue;
        }

        var colon = line.IndexOf(':', StringComparison.Ordinal);
        var fields = line[(colon + 1)..].Trim().Split(',').Select(f => f.Split('=')).ToDictionary(f => f[0], f => f[1], StringComparer.Ordinal);
        stats[line["cmdstat_".Length..colon]] = (long.Parse(fields["calls"], CultureInfo.InvariantCulture), long.Parse(fields["usec"], CultureInfo.InvariantCulture));
    }

    return stats;
}

/// <summary>The system clock moved by whole days.</summary>
internal sealed class OffsetTime(TimeSpan offset) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + offset;
}

/// <summary>One flush: Redis CPU and each command's calls and in-command time (µs), per counted (key, target).</summary>
internal sealed record FlushLine(string Label, string Prefix, int Flush, int Keys, int Targets, double RedisCpuUsPerCount, double WallMs, Dictionary<string, CommandCost> Commands);

internal sealed record CommandCost(double Calls, double Usec);

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.SnakeCaseLower)]
[System.Text.Json.Serialization.JsonSerializable(typeof(FlushLine))]
internal sealed partial class FlushJson : System.Text.Json.Serialization.JsonSerializerContext;
