using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Text.Json;
using Gateway.Configuration;
using Gateway.Keys;
using Gateway.Observability;
using Gateway.Store;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Gateway.Tests.Admin;

/// <summary>
/// Admin reads, a list of any size, never make the proxy's key lookups wait. Found from outside: with
/// 20,000 keys, ten concurrent <c>GET /admin/keys</c> queued 400,000 reads on the proxy's connection, 16 of 20
/// first-seen keys got 503, and the store's circuit breaker opened for every key not in memory.
/// </summary>
public sealed class AdminListStarvationTests(GatewayTest.Parts parts, ITestOutputHelper output) : GatewayTest(parts)
{
    private const int ListedKeys = 20_000;
    private const int ConcurrentLists = 10;
    private const int ProbeKeys = 200;

    // A lookup may take 2 s, not 0.5, before it counts as a store failure: on this 2-core machine, shared at a load average
    // of 40, a thread alone can wait that long, and one lookup in 200 did. Queued behind the lists, as before the fix,
    // the lookups waited as long as the lists (over 30 s), so the bound still tells the two apart.
    protected override IDictionary<string, string?>? Settings => new Dictionary<string, string?> { ["Cache:StoreTimeout"] = "00:00:02" };

    [Fact]
    public async Task TenListsOf20000KeysAtOnce_FirstSeenKeysAreStillServed_AndTheBreakerStaysClosed()
    {
        using var connection = TestStore.Connect(Prefix);
        var store = new KeyStore(connection);
        var created = new List<(string Id, KeyDigest Digest)>(ListedKeys + ProbeKeys);
        try
        {
            var clock = Stopwatch.StartNew();
            await BulkCreateAsync(connection, store, created);
            var probes = await CreateKeysAsync(store, ProbeKeys, new KeyScopes(AccessLevel.None, new Dictionary<string, AccessLevel> { ["*"] = AccessLevel.Read }), created);
            output.WriteLine($"{created.Count} keys created in {clock.Elapsed.TotalSeconds:0.0} s");

            using var lookups = new LookupProbe(Host.Services.GetRequiredService<IMeterFactory>());
            clock.Restart();
            // Ten lists of 20,000 keys take tens of seconds on this shared machine; their time is not what is tested.
            using var admin = new HttpClient { BaseAddress = Host.Listeners.AdminUri, Timeout = TimeSpan.FromMinutes(3) };
            admin.DefaultRequestHeaders.Authorization = new("Bearer", GatewayHost.AdminToken);
            var lists = Task.WhenAll(Enumerable.Range(0, ConcurrentLists).Select(_ => ListAsync(admin)));

            // First-seen keys, one request each, for as long as the lists run: each one is a store read on the proxy's path.
            var answers = new List<int>();
            var duringLists = 0;
            foreach (var probe in probes)
            {
                var running = !lists.IsCompleted;
                answers.Add((await Host.SendWithKeyAsync(HttpMethod.Get, "/v2/ep1/probe", probe)).Status);
                duringLists += running && !lists.IsCompleted ? 1 : 0;
                if (lists.IsCompleted)
                {
                    break;
                }
            }

            output.WriteLine($"{answers.Count} first-seen keys looked up, {duringLists} wholly while lists ran; answers {string.Join(",", answers.GroupBy(a => a).Select(g => $"{g.Key}x{g.Count()}"))}; store read errors {lookups.StoreErrors}, circuit {lookups.CircuitState()}");
            Assert.True(duringLists >= 5, $"only {duringLists} lookups overlapped the lists, so the test proved little");
            Assert.All(answers, status => Assert.Equal(200, status));
            Assert.Equal(0, lookups.StoreErrors);
            Assert.Equal(0, lookups.CircuitState());

            var counts = await lists;
            output.WriteLine($"{ConcurrentLists} lists in {clock.Elapsed.TotalSeconds:0.0} s");
            Assert.All(counts, count => Assert.Equal(ListedKeys + ProbeKeys, count));
        }
        finally
        {
            await DeleteAsync(connection, store, created);
        }
    }

    // The whole list, a thousand keys a page: what a client wanting every key does since the list is paged.
    private async Task<int> ListAsync(HttpClient admin)
    {
        var count = 0;
        string? cursor = null;
        do
        {
            using var response = await admin.GetAsync("/admin/keys?limit=1000" + (cursor is null ? "" : "&cursor=" + cursor));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var document = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync());
            count += document.RootElement.GetProperty("keys").GetArrayLength();
            cursor = document.RootElement.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);

        return count;
    }

    // The 20,000 listed keys are written straight into the store's layout (record, id index, list entries), pipelined:
    // through KeyStore.CreateAsync, five round trips each, they took 20 s here. Only the store's own codec makes the records.
    private async Task BulkCreateAsync(StoreConnection connection, KeyStore store, List<(string Id, KeyDigest Digest)> created)
    {
        var db = connection.Database;
        var now = DateTimeOffset.UtcNow;
        foreach (var chunk in Enumerable.Range(0, ListedKeys).Chunk(1000))
        {
            var writes = new List<Task>(2 * chunk.Length + 1);
            var listed = new List<SortedSetEntry>(chunk.Length);
            foreach (var i in chunk)
            {
                var plaintext = KeyFormat.Generate();
                var digest = KeyDigest.Compute(plaintext);
                var key = new ApiKey(KeyIds.NewId(), $"bulk {i}", KeyKind.Rpa, KeyFormat.DisplayPrefix(plaintext), true, now.AddMilliseconds(-i), null, null, KeyScopes.None)
                {
                    Version = KeyStore.FirstVersion,
                };
                writes.Add(db.HashSetAsync(store.RecordKey(digest), KeyRecordCodec.Encode(key)));
                writes.Add(db.StringSetAsync(Prefix + "keyid:" + key.Id, digest.ToHex()));
                listed.Add(new SortedSetEntry(key.Id, key.CreatedAt.ToUnixTimeMilliseconds()));
                writes.Add(store.IndexAsync(db, key, key.Version));
                created.Add((key.Id, digest));
            }

            writes.Add(db.SortedSetAddAsync(Prefix + "keys", [.. listed]));
            await Task.WhenAll(writes);
        }
    }

    // Through the store's own create (record, id index, list entry), many at once on the test's connection.
    private static async Task<List<string>> CreateKeysAsync(KeyStore store, int count, KeyScopes scopes, List<(string Id, KeyDigest Digest)> created)
    {
        var plaintexts = new List<string>(count);
        foreach (var chunk in Enumerable.Range(0, count).Chunk(1000))
        {
            var batch = chunk.Select(_ =>
            {
                var plaintext = KeyFormat.Generate();
                var key = new ApiKey(KeyIds.NewId(), "bulk", KeyKind.Rpa, KeyFormat.DisplayPrefix(plaintext), true, DateTimeOffset.UtcNow, null, null, scopes);
                return (Plaintext: plaintext, Key: key, Digest: KeyDigest.Compute(plaintext));
            }).ToList();
            var stored = await Task.WhenAll(batch.Select(b => store.CreateAsync(b.Key, b.Digest, announce: false)));
            Assert.All(stored, Assert.True);
            plaintexts.AddRange(batch.Select(b => b.Plaintext));
            created.AddRange(batch.Select(b => (b.Key.Id, b.Digest)));
        }

        return plaintexts;
    }

    // The shared store outlives the test: its 20,000 records are removed, a thousand commands at a time.
    private async Task DeleteAsync(StoreConnection connection, KeyStore store, List<(string Id, KeyDigest Digest)> created)
    {
        var db = connection.Database;
        foreach (var chunk in created.Chunk(1000))
        {
            await Task.WhenAll(chunk.SelectMany(k => new Task[]
            {
                db.KeyDeleteAsync(store.RecordKey(k.Digest)),
                db.KeyDeleteAsync((RedisKey)(Prefix + "keyid:" + k.Id)),
            }));
        }

        // One key per command: on a Cluster the three live in different slots.
        await Task.WhenAll(new[] { "keys", "keyorder", "keysearch" }.Select(name => db.KeyDeleteAsync(Prefix + name)));
    }

    /// <summary>This host's store-read errors (any failed or refused lookup) and its circuit state, from its own meter, read as a scrape reads them.</summary>
    private sealed class LookupProbe : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly long _baseline;
        private long _storeErrors;
        private int _circuit;

        public LookupProbe(IMeterFactory factory)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == GatewayMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, factory)
                    && instrument.Name is "gateway.key_cache.lookups" or "gateway.store.circuit_state")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                string? tier = null, result = null;
                foreach (var tag in tags)
                {
                    tier = tag.Key == "tier" ? tag.Value as string : tier;
                    result = tag.Key == "result" ? tag.Value as string : result;
                }

                // An observable counter: the value is the total so far, not an increment.
                if (tier == "l2" && result == "error")
                {
                    Interlocked.Exchange(ref _storeErrors, value);
                }
            });
            _listener.SetMeasurementEventCallback<int>((_, value, _, _) => Volatile.Write(ref _circuit, value));
            _listener.Start();
            _listener.RecordObservableInstruments();
            _baseline = Interlocked.Read(ref _storeErrors);
        }

        /// <summary>Store-read errors since the probe was made.</summary>
        public long StoreErrors
        {
            get
            {
                _listener.RecordObservableInstruments();
                return Interlocked.Read(ref _storeErrors) - _baseline;
            }
        }

        public int CircuitState()
        {
            _listener.RecordObservableInstruments();
            return Volatile.Read(ref _circuit);
        }

        public void Dispose() => _listener.Dispose();
    }
}
