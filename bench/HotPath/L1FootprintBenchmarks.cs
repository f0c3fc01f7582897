using System.Globalization;
using BenchmarkDotNet.Attributes;
using Gateway.Caching;
using Gateway.Configuration;
using Gateway.Keys;
using Gateway.Observability;
using Gateway.Store;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace HotPath;

/// <summary>
/// Bytes the L1 cache holds per key (issue 11): <see cref="Keys"/> records of a realistic mix are written to an
/// embedded Garnet in the gateway's layout, then a fresh <see cref="KeyCache"/> reads every one of them through the
/// real miss path (store read, <c>KeyRecordCodec.Decode</c>, cache entry). <c>Allocated</c> is what filling costs per
/// key (garbage included); the retained figure (<c>GC.GetTotalMemory(true)</c> with the full cache alive, minus the same
/// with it empty, divided by the keys) is printed by <see cref="Cleanup"/> and by <c>--footprint</c> (Program.cs).
/// </summary>
[MemoryDiagnoser]
public class L1FootprintBenchmarks
{
    public const int Keys = 100_000;

    // How many misses are in flight at once while filling: enough to keep the connection busy, few enough that the
    // single-flight table stays small (a ConcurrentDictionary keeps the buckets it grew, which would count as L1).
    private const int InFlight = 256;

    private readonly List<double> _retainedPerKey = [];
    private string _dataDirectory = "";
    private ServiceProvider? _services;
    private StoreConnection? _connection;
    private KeyStore _store = null!;
    private GatewayMetrics _metrics = null!;
    private KeyDigest[] _digests = [];
    private KeyCache? _cache;
    private long _emptyBytes;

    /// <summary>The retained bytes per key of each measured fill so far.</summary>
    public IReadOnlyList<double> RetainedPerKey => _retainedPerKey;

    [GlobalSetup]
    public void Setup()
    {
        _dataDirectory = Path.Combine(Path.GetTempPath(), "l1-footprint-" + Guid.NewGuid().ToString("N"));
        _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        _connection = new StoreConnection(
            Options.Create(new RedisOptions { KeyPrefix = "bench:" }),
            Options.Create(new StoreOptions { DataDirectory = _dataDirectory }),
            NullLoggerFactory.Instance);
        _store = new KeyStore(_connection);
        _metrics = new GatewayMetrics(_services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        _digests = WriteRecords(_connection, _store, Keys);
    }

    [IterationSetup]
    public void StartEmpty()
    {
        _cache?.Dispose();
        _cache = null;
        // L1Ttl long enough that nothing expires while filling; the bound is the number of keys, as in the gateway.
        var options = new CacheOptions { L1Ttl = TimeSpan.FromHours(1), L1MaxEntries = Keys };
        _cache = new KeyCache(_store, Options.Create(options), TimeProvider.System, _metrics, [], NullLogger<KeyCache>.Instance);
        _emptyBytes = GC.GetTotalMemory(forceFullCollection: true);
    }

    /// <summary>Reads every key once into an empty L1.</summary>
    [Benchmark(OperationsPerInvoke = Keys)]
    public void FillL1()
    {
        var cache = _cache!;
        var pending = new Task<KeyLookup>[InFlight];
        for (var start = 0; start < _digests.Length; start += InFlight)
        {
            var count = Math.Min(InFlight, _digests.Length - start);
            for (var i = 0; i < count; i++)
            {
                pending[i] = cache.LookupAsync(_digests[start + i]).AsTask();
            }

            for (var i = 0; i < count; i++)
            {
                if (pending[i].GetAwaiter().GetResult().Status != LookupStatus.Found)
                {
                    throw new InvalidOperationException("A written key was not found.");
                }
            }
        }
    }

    [IterationCleanup]
    public void Measure()
    {
        var full = GC.GetTotalMemory(forceFullCollection: true);
        // Every key must still be a hit, or the figure would be of a cache that evicted.
        foreach (var digest in _digests)
        {
            if (!_cache!.TryLookupInMemory(digest, out _))
            {
                throw new InvalidOperationException("A key filled into L1 is no longer there.");
            }
        }

        _retainedPerKey.Add((double)(full - _emptyBytes) / Keys);
        GC.KeepAlive(_cache);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        if (_retainedPerKey.Count > 0)
        {
            var sorted = _retainedPerKey.Order().ToArray();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"// L1 retained bytes per key: median {sorted[sorted.Length / 2]:F0} (min {sorted[0]:F0}, max {sorted[^1]:F0}) over {sorted.Length} fills of {Keys:N0} keys"));
        }

        _cache?.Dispose();
        _connection?.Dispose();
        _services?.Dispose();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
    }

    /// <summary>
    /// The mix a platform holds (fixed seed, so every run measures the same records): 60 % rpa keys restricted to one to
    /// four endpoints (some with a <c>*</c> fallback), 15 % <c>all</c>, 10 % <c>readonly</c>, 15 % legacy. Names of 10 to
    /// 30 characters, a third with an expiry, half with a lastUsedAt (the usage flusher writes it), endpoint ids drawn from
    /// 20,000 (Runpod's shape: 14 lowercase letters and digits), so keys of one owner share ids as they do in practice.
    /// </summary>
    private static KeyDigest[] WriteRecords(StoreConnection connection, KeyStore store, int count)
    {
        var random = new Random(11);
        var endpointIds = Enumerable.Range(0, 20_000).Select(_ => RandomId(random, 14)).ToArray();
        var now = DateTimeOffset.UtcNow;
        var digests = new KeyDigest[count];
        var db = connection.Database;
        var writes = new List<Task>(1000);
        for (var n = 0; n < count; n++)
        {
            var roll = random.Next(100);
            var legacy = roll >= 85;
            var plaintext = legacy ? "legacy-" + RandomId(random, 32) : KeyFormat.Generate();
            digests[n] = KeyDigest.Compute(plaintext);
            var scopes = roll switch
            {
                < 60 => Restricted(random, endpointIds),
                < 75 => KeyScopes.All,
                < 85 => KeyScopes.ReadOnly,
                _ => KeyScopes.ForLegacy(AccessLevel.Read),
            };
            var name = "key " + RandomId(random, random.Next(6, 27));
            var key = new ApiKey(KeyIds.NewId(), name, legacy ? KeyKind.Legacy : KeyKind.Rpa, plaintext[..8], random.Next(20) != 0,
                now.AddDays(-random.Next(1, 400)), null, random.Next(3) == 0 ? now.AddDays(random.Next(1, 365)) : null, scopes)
            {
                Version = random.Next(1, 5),
            };
            var fields = KeyRecordCodec.Encode(key).ToList();
            if (random.Next(2) == 0)
            {
                fields.Add(new(KeyRecordCodec.LastUsedAt, now.AddMinutes(-random.Next(1, 100_000)).ToUnixTimeMilliseconds()));
            }

            writes.Add(db.HashSetAsync(store.RecordKey(digests[n]), [.. fields]));
            if (writes.Count == writes.Capacity)
            {
                Task.WaitAll([.. writes]);
                writes.Clear();
            }
        }

        Task.WaitAll([.. writes]);
        return digests;
    }

    private static KeyScopes Restricted(Random random, string[] endpointIds)
    {
        var endpoints = new Dictionary<string, AccessLevel>(StringComparer.Ordinal);
        var owner = random.Next(endpointIds.Length - 4);
        for (var i = random.Next(1, 5); i > 0; i--)
        {
            endpoints[endpointIds[owner + i - 1]] = random.Next(2) == 0 ? AccessLevel.Read : AccessLevel.ReadWrite;
        }

        if (random.Next(4) == 0)
        {
            endpoints[KeyScopes.AnyEndpoint] = AccessLevel.Read;
        }

        return new KeyScopes(random.Next(3) switch { 0 => AccessLevel.None, 1 => AccessLevel.Read, _ => AccessLevel.ReadWrite }, endpoints);
    }

    private static string RandomId(Random random, int length)
    {
        const string Alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
        return string.Create(length, random, static (span, r) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = Alphabet[r.Next(Alphabet.Length)];
            }
        });
    }
}
