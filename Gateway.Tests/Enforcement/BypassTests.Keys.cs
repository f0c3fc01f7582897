using System.Net;

namespace Gateway.Tests.Enforcement;

/// <summary>
/// Key tricks. The key comes from <c>Authorization: Bearer</c> (scheme case-insensitive, white space
/// ignored), a bare <c>Authorization</c>, or <c>api_key</c>; an empty value is 401 missing_key; two different keys
/// anywhere in one request are 400 ambiguous_key; a malformed, mistyped or unknown key is 401 invalid_key, and a
/// mistyped <c>rpa_</c> key is refused without a store lookup.
/// </summary>
public sealed partial class BypassTests
{
    private const string Granted = "/v2/granted/run";

    public static readonly IReadOnlyDictionary<string, Attempt> KeyAttempts = new Dictionary<string, Attempt>
    {
        ["header key and a different api_key parameter"] = new(400, "ambiguous_key", (f, m) => f.SendAsync(m, HttpMethod.Get, $"{Granted}?api_key={f.OtherKey}")),
        ["two Authorization lines with different keys"] = new(400, "ambiguous_key", (f, m) => f.RawAsync(m, "GET", Granted, [$"Authorization: Bearer {f.OtherKey}"])),
        ["Bearer header and a bare header with different keys"] = new(400, "ambiguous_key", (f, m) => f.RawAsync(m, "GET", Granted, [$"Authorization: {f.OtherKey}"])),
        ["two api_key parameters with different keys"] = new(400, "ambiguous_key",
            (f, m) => f.SendAsync(m, HttpMethod.Get, $"{Granted}?api_key={f.Key}&api_key={f.OtherKey}", authorization: "")),
        ["api%5Fkey parameter differing from the header"] = new(400, "ambiguous_key", (f, m) => f.SendAsync(m, HttpMethod.Get, $"{Granted}?api%5Fkey={f.OtherKey}")),
        ["api%5fkey (lower-case hex) differing from the header"] = new(400, "ambiguous_key", (f, m) => f.SendAsync(m, HttpMethod.Get, $"{Granted}?x=1&api%5fkey={f.OtherKey}")),
        ["api_k%65y differing from api_key"] = new(400, "ambiguous_key",
            (f, m) => f.SendAsync(m, HttpMethod.Get, $"{Granted}?api_key={f.Key}&api_k%65y={f.OtherKey}", authorization: "")),
        // The gateway reads query names as ASP.NET Core does, case-insensitively, so API_KEY is a key like api_key.
        ["API_KEY (upper case) differing from the header"] = new(400, "ambiguous_key", (f, m) => f.SendAsync(m, HttpMethod.Get, $"{Granted}?API_KEY={f.OtherKey}")),
        ["different keys on a GraphQL request"] = new(400, "ambiguous_key",
            (f, m) => f.SendAsync(m, HttpMethod.Post, $"/graphql?api_key={f.OtherKey}", BypassFixture.Json("""{"query":"{ myself { id } }"}"""))),
        ["empty Authorization: Bearer"] = new(401, "missing_key", (f, m) => f.RawAsync(m, "GET", Granted, ["Authorization: Bearer "], withKey: false)),
        ["empty Authorization header"] = new(401, "missing_key", (f, m) => f.RawAsync(m, "GET", Granted, ["Authorization:"], withKey: false)),
        ["white space only Authorization header"] = new(401, "missing_key", (f, m) => f.RawAsync(m, "GET", Granted, ["Authorization: \t  "], withKey: false)),
        ["empty api_key parameter"] = new(401, "missing_key", (f, m) => f.SendAsync(m, HttpMethod.Get, $"{Granted}?api_key=", authorization: "")),
        // The api_key value is the key exactly as decoded: white space around it is part of it (contract section 8).
        ["api_key with a trailing %20"] = new(401, "invalid_key", (f, m) => f.SendAsync(m, HttpMethod.Get, $"{Granted}?api_key={f.Key}%20", authorization: "")),
        ["api_key with a leading +"] = new(401, "invalid_key", (f, m) => f.SendAsync(m, HttpMethod.Get, $"{Granted}?api_key=+{f.Key}", authorization: "")),
        ["api_key with a trailing tab (%09)"] = new(401, "invalid_key", (f, m) => f.SendAsync(m, HttpMethod.Get, $"{Granted}?api_key={f.Key}%09", authorization: "")),
        ["api_key of white space only"] = new(401, "invalid_key", (f, m) => f.SendAsync(m, HttpMethod.Get, $"{Granted}?api_key=%20%20", authorization: "")),
        ["api_key with %20 beside the same key in the header"] = new(400, "ambiguous_key", (f, m) => f.SendAsync(m, HttpMethod.Get, $"{Granted}?api_key={f.Key}%20")),
        ["no key at all"] = new(401, "missing_key", (f, m) => f.SendAsync(m, HttpMethod.Get, Granted, authorization: "")),
        ["key in an X-Api-Key header (not a key place)"] = new(401, "missing_key",
            (f, m) => f.SendAsync(m, HttpMethod.Get, Granted, authorization: "", edit: r => r.Headers.Add("X-Api-Key", f.Key))),
        ["Authorization: Basic credentials"] = new(401, "invalid_key", (f, m) => f.SendAsync(m, HttpMethod.Get, Granted, authorization: "Basic dXNlcjpwYXNzd29yZA==")),
        ["Bearer Bearer <key>"] = new(401, "invalid_key", (f, m) => f.SendAsync(m, HttpMethod.Get, Granted, authorization: "Bearer Bearer " + f.Key)),
        ["Token <key> (another scheme)"] = new(401, "invalid_key", (f, m) => f.SendAsync(m, HttpMethod.Get, Granted, authorization: "Token " + f.Key)),
        ["rpa_ key with a bad checksum"] = new(401, "invalid_key",
            (f, m) => f.SendAsync(m, HttpMethod.Get, Granted, authorization: "Bearer " + BypassFixture.WithBadChecksum(f.Key))) { NoStoreLookup = true },
        ["rpa_ key in api_key with a bad checksum"] = new(401, "invalid_key",
            (f, m) => f.SendAsync(m, HttpMethod.Get, $"{Granted}?api_key={BypassFixture.WithBadChecksum(f.Key)}", authorization: "")) { NoStoreLookup = true },
        ["rpa_ key one character short"] = new(401, "invalid_key",
            (f, m) => f.SendAsync(m, HttpMethod.Get, Granted, authorization: "Bearer " + f.Key[..^1])) { NoStoreLookup = true },
        ["rpa_ key with a non-base62 character"] = new(401, "invalid_key",
            (f, m) => f.SendAsync(m, HttpMethod.Get, Granted, authorization: "Bearer " + f.Key[..10] + "-" + f.Key[11..])) { NoStoreLookup = true },
        ["well-formed rpa_ key nobody created"] = new(401, "invalid_key",
            (f, m) => f.SendAsync(m, HttpMethod.Get, Granted, authorization: "Bearer " + BypassFixture.InventedRpaKey())),
        ["real key with its prefix upper-cased (RPA_)"] = new(401, "invalid_key",
            (f, m) => f.SendAsync(m, HttpMethod.Get, Granted, authorization: "Bearer RPA_" + f.Key[4..])),
        ["real key upper-cased"] = new(401, "invalid_key", (f, m) => f.SendAsync(m, HttpMethod.Get, Granted, authorization: "Bearer " + f.Key.ToUpperInvariant())),
        ["legacy-form token of 15 characters"] = new(401, "invalid_key", (f, m) => f.SendAsync(m, HttpMethod.Get, Granted, authorization: "Bearer abcdefghijklmno")),
        ["control character 0x01 after the key"] = new(401, "invalid_key", (f, m) => f.RawAsync(m, "GET", Granted, [$"Authorization: Bearer {f.Key}\u0001"], withKey: false)),
        // Kestrel itself refuses these header values (400, no problem document) before the gateway runs.
        ["NUL after the key"] = new(400, null, (f, m) => f.RawAsync(m, "GET", Granted, [$"Authorization: Bearer {f.Key}\0"], withKey: false)),
        ["NUL inside the scheme"] = new(400, null, (f, m) => f.RawAsync(m, "GET", Granted, [$"Authorization: Bea\0rer {f.Key}"], withKey: false)),
        ["no-break space (non-ASCII) after the key"] = new(400, null, (f, m) => f.RawAsync(m, "GET", Granted, [$"Authorization: Bearer {f.Key}\u00a0"], withKey: false)),
    };

    public static TheoryData<string> KeyAttemptNames => Names(KeyAttempts);

    [Theory]
    [MemberData(nameof(KeyAttemptNames))]
    public Task KeyAttempt_IsRefusedAndNeverReachesTheUpstream(string name) => AssertRefusedAsync(name, KeyAttempts[name]);

    /// <summary>
    /// Whether an upper-case <c>API_KEY</c> counts as the key must not depend on an unrelated <c>%</c> elsewhere in
    /// the query; and whenever the gateway lets such a request through, the key must not go with it (README: "How a request is judged").
    /// </summary>
    [Theory]
    [InlineData("?API_KEY={0}", false)]
    [InlineData("?API_KEY={0}&x=%20", false)]
    [InlineData("?x=%20&Api_Key={0}", false)]
    [InlineData("?API_KEY={0}", true)]
    [InlineData("?API_KEY={0}&x=%20", true)]
    public async Task ApiKeyParameterInAnotherCase_IsJudgedOneWayAndNeverForwarded(string query, bool alsoInHeader)
    {
        fixture.Upstream.Clear();
        var marker = Guid.NewGuid().ToString("N");
        var response = await fixture.SendAsync(marker, HttpMethod.Get, Granted + string.Format(query, fixture.Key), authorization: alsoInHeader ? null : "");

        // The same answer as for the lower-case parameter: the key is read, and stripped.
        Assert.True(response.Status == (int)HttpStatusCode.OK, $"[{query}, header {alsoInHeader}] got {response}");
        var seen = Assert.Single(fixture.Upstream.Received);
        Assert.False(seen.Contains(fixture.Key), $"[{query}, header {alsoInHeader}] the upstream saw the key: {seen.RawTarget}");
        Assert.DoesNotContain("api_key", seen.RawTarget, StringComparison.OrdinalIgnoreCase);
    }
}
