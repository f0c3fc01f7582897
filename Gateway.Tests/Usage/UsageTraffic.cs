using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Usage;

/// <summary>How the README's "Usage" section counts a request: allowed (forwarded), denied (key_disabled, key_expired, scope_denied) or not at all.</summary>
internal enum Counted
{
    No,
    Allowed,
    Denied,
}

/// <summary>One kind of request and the answer the gateway owes it.</summary>
internal sealed record Shot(string Key, string? KeyId, HttpMethod Method, string Path, string? GraphQL, int Status, string? Code = null, string? Target = null)
{
    public Counted Counted => Status == 200 ? Counted.Allowed
        : Code is "scope_denied" or "key_disabled" or "key_expired" ? Counted.Denied
        : Counted.No;

    public static Shot Endpoint(string key, string? keyId, HttpMethod method, string endpointId, int status, string? code = null) =>
        new(key, keyId, method, $"/v2/{endpointId}/run", null, status, code, "endpoint:" + endpointId);

    public static Shot GraphQLPost(string key, string? keyId, string document, int status, string? code = null) =>
        new(key, keyId, HttpMethod.Post, "/graphql", document, status, code, "graphql");

    public static Shot GraphQLGet(string key, string? keyId, string document, int status, string? code = null) =>
        new(key, keyId, HttpMethod.Get, "/graphql?query=" + Uri.EscapeDataString(document), null, status, code, "graphql");
}

/// <summary>What was sent, as the Redis layout should count it: per key id and hash field, and the UTC days the sending spanned.</summary>
internal sealed class UsageTally
{
    private readonly ConcurrentDictionary<(string KeyId, string Field), long> _counts = new();
    private readonly ConcurrentDictionary<string, byte> _days = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _lastSent = new(StringComparer.Ordinal);
    private long _sent;

    public long Sent => Interlocked.Read(ref _sent);

    public long Allowed => _counts.Where(c => c.Key.Field.EndsWith(":allowed", StringComparison.Ordinal)).Sum(c => c.Value);

    public long Denied => _counts.Where(c => c.Key.Field.EndsWith(":denied", StringComparison.Ordinal)).Sum(c => c.Value);

    /// <summary>Every UTC day seen while sending: the day a request is counted under is one of these.</summary>
    public IReadOnlyCollection<string> Days => _days.Keys.Order(StringComparer.Ordinal).ToArray();

    public SortedSet<string> KeyIds => new(_counts.Keys.Select(k => k.KeyId), StringComparer.Ordinal);

    public IReadOnlyDictionary<string, long> For(string keyId) =>
        _counts.Where(c => c.Key.KeyId == keyId).ToDictionary(c => c.Key.Field, c => c.Value, StringComparer.Ordinal);

    /// <summary>When the latest counted request of <paramref name="keyId"/> was sent.</summary>
    public DateTimeOffset? LastSent(string keyId) => _lastSent.TryGetValue(keyId, out var at) ? at : null;

    public void Add(Shot shot, string dayBefore, string dayAfter, DateTimeOffset sentAt)
    {
        Interlocked.Increment(ref _sent);
        _days.TryAdd(dayBefore, 0);
        _days.TryAdd(dayAfter, 0);
        if (shot.Counted == Counted.No)
        {
            return;
        }

        var field = shot.Target + (shot.Counted == Counted.Allowed ? ":allowed" : ":denied");
        _counts.AddOrUpdate((shot.KeyId!, field), 1, static (_, n) => n + 1);
        _lastSent.AddOrUpdate(shot.KeyId!, sentAt, (_, at) => at > sentAt ? at : sentAt);
    }
}

internal static class Traffic
{
    /// <summary>Sends <paramref name="shot"/>, checks the answer the gateway owes it, and tallies it.</summary>
    public static async Task SendAsync(HttpClient proxy, Shot shot, UsageTally tally)
    {
        using var request = new HttpRequestMessage(shot.Method, shot.Path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", shot.Key);
        if (shot.GraphQL is { } document && shot.Method == HttpMethod.Post)
        {
            request.Content = new StringContent(JsonSerializer.Serialize(new { query = document }), Encoding.UTF8, "application/json");
        }
        else if (shot.Method != HttpMethod.Get)
        {
            request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
        }

        var dayBefore = UsageRedis.Today();
        var sentAt = DateTimeOffset.UtcNow;
        using var response = await proxy.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        var dayAfter = UsageRedis.Today();
        var code = (int)response.StatusCode == 200 ? null : JsonDocument.Parse(body).RootElement.GetProperty("code").GetString();
        if ((int)response.StatusCode != shot.Status || code != shot.Code)
        {
            throw new Xunit.Sdk.XunitException(
                $"{shot.Method} {shot.Path} answered {(int)response.StatusCode} {code}; expected {shot.Status} {shot.Code}. Body: {body}");
        }

        tally.Add(shot, dayBefore, dayAfter, sentAt);
    }

    /// <summary>
    /// Sends <paramref name="count"/> requests from <paramref name="workers"/> concurrent tasks; request n is
    /// <paramref name="pick"/>(n), so the mix is known exactly whatever the interleaving.
    /// </summary>
    public static Task RunAsync(int count, int workers, Func<int, (HttpClient Proxy, Shot Shot)> pick, UsageTally tally)
    {
        var next = -1;
        return Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
        {
            int n;
            while ((n = Interlocked.Increment(ref next)) < count)
            {
                var (proxy, shot) = pick(n);
                await SendAsync(proxy, shot, tally);
            }
        })));
    }
}

internal static class UsageHosts
{
    /// <summary>
    /// Settings for the usage tests' gateways. These tests count requests, not store latency: on a loaded machine a
    /// key read can exceed the default Cache:StoreTimeout (500 ms) and answer 503, so they give the store more time.
    /// </summary>
    public static Dictionary<string, string?> Settings(params (string Key, string? Value)[] extra)
    {
        var settings = new Dictionary<string, string?> { ["Cache:StoreTimeout"] = "00:00:05" };
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }

        return settings;
    }
}
