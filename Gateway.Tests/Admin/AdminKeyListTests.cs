using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Configuration;
using Gateway.Keys;
using Gateway.Store;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Admin;

/// <summary>
/// <c>GET /admin/keys?limit=&amp;cursor=&amp;q=</c> answers a page, newest first, with a cursor; bad paging input
/// is a 400 naming the field; <c>q</c> matches name or prefix ignoring case; pages stay stable under concurrent writes.
/// Each test has a gateway and a key prefix of its own, so it knows every key in the list.
/// </summary>
public sealed class AdminKeyListTests(GatewayTest.Parts parts) : GatewayTest(parts), IDisposable
{
    private StoreConnection? _connection;
    private KeyStore? _keys;

    // Each test counts the keys of its own prefix.
    protected override bool PartsPerTest => true;

    // Made on first use: the prefix is the test's own, known once its parts have started.
    private KeyStore StoreOfTest => _keys ??= new KeyStore(_connection = TestStore.Connect(Prefix));

    public void Dispose() => _connection?.Dispose();

    private StoreConnection ConnectionOfTest
    {
        get
        {
            _ = StoreOfTest;
            return _connection!;
        }
    }

    public static TheoryData<string, string> BadQueries => new()
    {
        { "limit=0", "limit" },
        { "limit=1001", "limit" },
        { "limit=-1", "limit" },
        { "limit=ten", "limit" },
        { "limit=1.5", "limit" },
        { "limit=", "limit" },
        { "limit=+5", "limit" },
        { "limit=99999999999", "limit" },
        { "limit=5&limit=6", "limit" },
        { "cursor=", "cursor" },
        { "cursor=!!!!", "cursor" },
        { "cursor=aGVsbG8", "cursor" },
        { "cursor=MDAwMDAxNzY0NTU0NDAwMDAwOmtleV94", "cursor" },
        { "cursor=a&cursor=b", "cursor" },
        { "q=a&q=b", "q" },
    };

    [Theory]
    [MemberData(nameof(BadQueries))]
    public async Task List_WithBadPaging_Is400_NamingTheField(string query, string field)
    {
        var answer = await AdminApi.GetAsync(Host, "/admin/keys?" + query);

        AdminApi.AssertRefused(answer, HttpStatusCode.BadRequest, "invalid_request", field);
    }

    [Fact]
    public async Task List_WithATamperedCursor_Is400()
    {
        await CreateAsync(3, DateTimeOffset.UtcNow);
        var cursor = (string)(await PageAsync("limit=1")).Object["nextCursor"]!;
        var bytes = Convert.FromBase64String(cursor.Replace('-', '+').Replace('_', '/') + new string('=', (4 - cursor.Length % 4) % 4));

        // A character of the time made a letter; the id cut off; a base64url character changed to one outside the alphabet;
        // the same bytes padded (a second spelling of one cursor).
        var tampered = new[]
        {
            Encode(Encoding.ASCII.GetString(bytes).Remove(3, 1).Insert(3, "x")),
            Encode(Encoding.ASCII.GetString(bytes)[..16]),
            cursor[..^1] + "*",
            cursor + "=",
        };

        foreach (var bad in tampered)
        {
            AdminApi.AssertRefused(await AdminApi.GetAsync(Host, "/admin/keys?cursor=" + Uri.EscapeDataString(bad)),
                HttpStatusCode.BadRequest, "invalid_request", "cursor");
        }
    }

    [Fact]
    public async Task List_WithoutLimit_GivesOneHundred_ThenTheRest_ThenNoCursor()
    {
        var created = await CreateAsync(105, DateTimeOffset.UtcNow);

        var first = (await PageAsync("")).Object;
        Assert.Equal(100, first["keys"]!.AsArray().Count);
        var cursor = (string?)first["nextCursor"];
        Assert.NotNull(cursor);

        var second = (await PageAsync("cursor=" + cursor)).Object;
        Assert.Equal(5, second["keys"]!.AsArray().Count);
        Assert.Null(second["nextCursor"]);
        Assert.True(second.ContainsKey("nextCursor"));
        Assert.Equal(created.Select(k => k.Id).Order(StringComparer.Ordinal), Ids(first).Concat(Ids(second)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task APageEndingExactlyAtTheLastKey_HasNoCursor()
    {
        await CreateAsync(4, DateTimeOffset.UtcNow);

        Assert.Null((await PageAsync("limit=4")).Object["nextCursor"]);
        Assert.Null((await PageAsync("limit=1000")).Object["nextCursor"]);
    }

    [Fact]
    public async Task Pages_AreNewestFirst_WithKeysOfOneMillisecondOrderedById()
    {
        // Thirty keys in six milliseconds: many share a creation time, as a legacy import's keys all do.
        var now = DateTimeOffset.UtcNow;
        var keys = new List<ApiKey>();
        for (var i = 0; i < 6; i++)
        {
            keys.AddRange(await CreateAsync(5, now.AddMilliseconds(-i * 7)));
        }

        var expected = keys.OrderByDescending(k => k.CreatedAt).ThenByDescending(k => k.Id, StringComparer.Ordinal).Select(k => k.Id).ToList();
        Assert.Equal(expected, await WalkAsync(4));
        Assert.Equal(expected, Ids((await PageAsync("limit=1000")).Object));
    }

    [Fact]
    public async Task Q_MatchesNameOrPrefix_IgnoringCase()
    {
        var now = DateTimeOffset.UtcNow;
        var billing = await CreateAsync(1, now, "Billing Service");
        var other = await CreateAsync(1, now.AddMilliseconds(-1), "reports");
        var prefix = other[0].Prefix;

        Assert.Equal([billing[0].Id], Ids((await PageAsync("q=bILLing")).Object));
        Assert.Equal([billing[0].Id], Ids((await PageAsync("q=" + Uri.EscapeDataString("g s"))).Object));
        Assert.Equal([other[0].Id], Ids((await PageAsync("q=" + Uri.EscapeDataString(prefix[^6..].ToUpperInvariant()))).Object));
        Assert.Equal([other[0].Id], Ids((await PageAsync("q=REPORTS")).Object));
        var none = (await PageAsync("q=nothing-like-this")).Object;
        Assert.Empty(none["keys"]!.AsArray());
        Assert.Null(none["nextCursor"]);
        Assert.Equal(2, Ids((await PageAsync("q=")).Object).Count);
    }

    [Fact]
    public async Task Q_FindsAKeyByItsNewName_AfterARename_AndNotByItsOldOne()
    {
        var key = (await CreateAsync(1, DateTimeOffset.UtcNow, "before-rename"))[0];

        Assert.Equal(HttpStatusCode.OK, (await AdminApi.PatchAsync(Host, key.Id, new { name = "After Rename" })).Status);

        Assert.Equal([key.Id], Ids((await PageAsync("q=after")).Object));
        Assert.Empty(Ids((await PageAsync("q=before")).Object));
    }

    [Fact]
    public async Task Q_WhenTheScanBudgetRunsOut_GivesFewerKeysAndACursor_AndFollowingItFindsTheMatch()
    {
        var now = DateTimeOffset.UtcNow;
        var match = (await CreateAsync(1, now.AddMinutes(-1), "needle"))[0];
        await CreateAsync(120, now, "hay");
        var store = new KeyStore(ConnectionOfTest) { SearchBudget = 50 };

        var pages = new List<KeyPage>();
        KeyListPosition? after = null;
        do
        {
            var page = await store.PageAsync(10, after, "NEEDLE");
            pages.Add(page);
            after = page.Next;
        }
        while (after is not null);

        Assert.True(pages.Count >= 3, $"{pages.Count} pages");
        Assert.Empty(pages[0].Keys);
        Assert.NotNull(pages[0].Next);
        Assert.Equal([match.Id], pages.SelectMany(p => p.Keys).Select(k => k.Id));
    }

    [Fact]
    public async Task AnIndexEntryWithoutARecord_IsSkipped_AndThePageIsStillFull()
    {
        var keys = await CreateAsync(5, DateTimeOffset.UtcNow);
        // An interrupted create: the index written, the record never.
        var orphan = keys[0] with { Id = KeyIds.NewId(), CreatedAt = keys[0].CreatedAt.AddSeconds(1) };
        await StoreOfTest.IndexAsync(ConnectionOfTest.AdminDatabase, orphan, KeyStore.FirstVersion);

        var page = (await PageAsync("limit=5")).Object;

        Assert.DoesNotContain(orphan.Id, Ids(page));
        Assert.Equal(5, Ids(page).Count);
    }

    [Fact]
    public async Task DeletedKeys_LeaveTheList()
    {
        var keys = await CreateAsync(3, DateTimeOffset.UtcNow, "to-delete");

        Assert.Equal(KeyWriteStatus.Written, (await StoreOfTest.DeleteAsync(keys[1].Id)).Status);

        Assert.Equal(new[] { keys[0].Id, keys[2].Id }.Order(StringComparer.Ordinal), Ids((await PageAsync("q=to-delete")).Object).Order(StringComparer.Ordinal));
        Assert.False(await ConnectionOfTest.AdminDatabase.HashExistsAsync(Prefix + "keysearch", keys[1].Id));
    }

    [Fact]
    public async Task Pages_WalkedWhileKeysAreCreatedAndDeleted_ListNoKeyTwice_AndEveryKeyThatStayed()
    {
        var now = DateTimeOffset.UtcNow;
        var stay = await CreateAsync(300, now.AddMinutes(-10), "stay");
        var churn = new ConcurrentQueue<ApiKey>(await CreateAsync(150, now.AddMinutes(-10), "churn"));
        using var stop = new CancellationTokenSource();

        // Writers for as long as the walk lasts: deletes of keys among the listed ones, and creates both newer than every
        // page and (as a second instance with a slow clock would) among the pages already walked or still to come.
        var writers = Enumerable.Range(0, 3).Select(w => Task.Run(async () =>
        {
            var random = new Random(w);
            var writes = 0;
            while (!stop.IsCancellationRequested)
            {
                if (churn.TryDequeue(out var victim))
                {
                    await StoreOfTest.DeleteAsync(victim.Id);
                }

                var createdAt = random.Next(2) == 0 ? DateTimeOffset.UtcNow : now.AddMinutes(-10).AddMilliseconds(-random.Next(0, 600));
                foreach (var key in await CreateAsync(1, createdAt, "churn"))
                {
                    churn.Enqueue(key);
                }

                writes++;
            }

            return writes;
        })).ToList();

        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var page = (await PageAsync("limit=7" + (cursor is null ? "" : "&cursor=" + cursor))).Object;
            seen.AddRange(Ids(page));
            cursor = (string?)page["nextCursor"];
        }
        while (cursor is not null);

        await stop.CancelAsync();
        var writes = (await Task.WhenAll(writers)).Sum();

        Assert.True(writes >= 20, $"only {writes} writes overlapped the walk, so the test proved little");
        Assert.Empty(seen.GroupBy(id => id).Where(g => g.Count() > 1).Select(g => g.Key));
        Assert.Empty(stay.Select(k => k.Id).Except(seen));
    }

    [Fact]
    public async Task KeysStoredBeforeTheIndex_AreIndexedOnce_ByInstancesStartingTogether()
    {
        // The layout before pages: record, id, and the scored list; no order index, no search text, no marker.
        var db = ConnectionOfTest.AdminDatabase;
        var old = new List<ApiKey>();
        var writes = new List<Task>();
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < 2500; i++)
        {
            var plaintext = KeyFormat.Generate();
            var digest = KeyDigest.Compute(plaintext);
            var key = new ApiKey(KeyIds.NewId(), $"Old Key {i}", KeyKind.Rpa, KeyFormat.DisplayPrefix(plaintext), true, now.AddMilliseconds(-i), null, null, KeyScopes.None)
            {
                Version = 3,
            };
            writes.Add(db.HashSetAsync(StoreOfTest.RecordKey(digest), KeyRecordCodec.Encode(key)));
            writes.Add(db.StringSetAsync(Prefix + "keyid:" + key.Id, digest.ToHex()));
            writes.Add(db.SortedSetAddAsync(Prefix + "keys", key.Id, key.CreatedAt.ToUnixTimeMilliseconds()));
            old.Add(key);
        }

        await Task.WhenAll(writes);
        await db.KeyDeleteAsync(Prefix + "keyorder:built");

        var built = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => new KeyStore(ConnectionOfTest).BuildIndexAsync(CancellationToken.None)));

        Assert.All(built, count => Assert.Equal(2500, count));
        Assert.Null(await StoreOfTest.BuildIndexAsync(CancellationToken.None));
        Assert.Equal(old.Select(k => k.Id), await WalkAsync(1000));
        Assert.Equal(2500L, await db.SortedSetLengthAsync(Prefix + "keyorder"));
        Assert.Equal(11, Ids((await PageAsync("q=old%20key%20100&limit=1000")).Object).Count);
    }

    [Fact]
    public async Task TheGatewayBuildsTheIndexAtStart()
    {
        // This test's gateway started on an empty prefix, so it found nothing to index, and said so with the marker.
        await Eventually.TrueAsync(() => ConnectionOfTest.AdminDatabase.KeyExistsAsync(Prefix + "keyorder:built"), "the index marker");
    }

    private async Task<List<ApiKey>> CreateAsync(int count, DateTimeOffset createdAt, string name = "listed")
    {
        var keys = new List<ApiKey>(count);
        foreach (var _ in Enumerable.Range(0, count))
        {
            var plaintext = KeyFormat.Generate();
            var key = new ApiKey(KeyIds.NewId(), name, KeyKind.Rpa, KeyFormat.DisplayPrefix(plaintext), true, createdAt, null, null, KeyScopes.None)
            {
                Version = KeyStore.FirstVersion,
            };
            Assert.True(await StoreOfTest.CreateAsync(key, KeyDigest.Compute(plaintext), announce: false));
            keys.Add(key);
        }

        return keys;
    }

    private async Task<List<string>> WalkAsync(int limit)
    {
        var ids = new List<string>();
        string? cursor = null;
        do
        {
            var page = (await PageAsync($"limit={limit}" + (cursor is null ? "" : "&cursor=" + cursor))).Object;
            ids.AddRange(Ids(page));
            cursor = (string?)page["nextCursor"];
        }
        while (cursor is not null);

        return ids;
    }

    private async Task<AdminAnswer> PageAsync(string query)
    {
        var answer = await AdminApi.GetAsync(Host, "/admin/keys?" + query);
        Assert.True(answer.Status == HttpStatusCode.OK, $"{(int)answer.Status} {answer.Text}");
        return answer;
    }

    private static List<string> Ids(JsonObject page) => page["keys"]!.AsArray().Select(k => (string)k!["id"]!).ToList();

    private static string Encode(string text) => Convert.ToBase64String(Encoding.ASCII.GetBytes(text)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
