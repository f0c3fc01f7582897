using CsCheck;
using Gateway.Enforcement;
using Microsoft.AspNetCore.Http;

namespace Gateway.Tests.Enforcement;

/// <summary>
/// The client headers removed before forwarding (the key id's and the client-address ones), directly on a header
/// dictionary: every spelling goes, nothing else does, and the shortcut that skips the walk never skips a request
/// carrying one. On real Kestrel dictionaries: <c>Attack/ClientAddressHeaderSpoofTests</c>, <c>KeyIdHeaderVariantTests</c>
/// and <c>ClientHeaderHygieneKestrelTests</c>.
/// </summary>
public sealed class ClientHeaderHygieneTests
{
    // As the removed names are written in the README; each is tried in every dash/underscore spelling and several cases.
    private static readonly string[] Removed =
    [
        "X-Gateway-Key-Id", "X-Real-IP", "True-Client-IP", "X-Client-IP", "CF-Connecting-IP", "Fastly-Client-IP",
        "X-Cluster-Client-IP", "X-Original-Forwarded-For", "X-Forwarded", "Forwarded-For", "X-Forwarded-Port",
        "X-Forwarded-Server",
    ];

    // YARP sets these itself (after this step): only their underscore spellings are the client's to lose.
    private static readonly string[] SetByTheProxy = ["X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-Prefix"];

    private static readonly string[] Common =
    [
        "Host", "User-Agent", "Accept", "Content-Type", "Accept-Encoding", "Connection", "Accept-Language", "traceparent",
        "tracestate", "Cache-Control", "Cookie", "Origin", "Referer", "Pragma", "Transfer-Encoding", "Expect", "Upgrade",
    ];

    // Near misses that stay: other underscore headers, longer or shorter names, the RFC 7239 header.
    private static readonly string[] Others =
    [
        "X-Other_Header", "X-Real-IP-Note", "X-Real", "Forwarded", "X-Gateway-Key", "X-Gateway-Key-Ids", "X-Request-Id",
        "Accept_Encoding", "User_Agent", "X-Forwarded-Fo", "Real-IP",
    ];

    public static TheoryData<string> EverySpellingOfTheRemoved() => [.. RemovedSpellings()];

    private static IEnumerable<string> RemovedSpellings() =>
        Removed.SelectMany(Spellings).Concat(SetByTheProxy.SelectMany(Spellings).Where(s => s.Contains('_', StringComparison.Ordinal)));

    [Theory]
    [MemberData(nameof(EverySpellingOfTheRemoved))]
    public void ARemovedName_InAnySpelling_Goes_BesideCommonHeaders(string name)
    {
        foreach (var casing in new Func<string, string>[] { n => n, n => n.ToUpperInvariant(), n => n.ToLowerInvariant(), Alternate })
        {
            var headers = Request(("Host", "h"), ("User-Agent", "u"), ("Content-Length", "0"), (casing(name), "spoofed"));

            ClientHeaderHygiene.RemoveFromClient(headers);

            Assert.Equal(["Content-Length", "Host", "User-Agent"], headers.Keys.Order(StringComparer.Ordinal));
        }
    }

    [Theory]
    [MemberData(nameof(EverySpellingOfTheRemoved))]
    public void ARemovedName_Alone_Goes(string name)
    {
        var headers = Request((name, "spoofed"));

        ClientHeaderHygiene.RemoveFromClient(headers);

        Assert.Empty(headers);
    }

    [Fact]
    public void TheProxysOwnSpellings_AndOtherNames_Stay()
    {
        var kept = SetByTheProxy.Concat(Others).Concat(Common).ToArray();
        var headers = Request([.. kept.Select(n => (n, "kept"))]);

        ClientHeaderHygiene.RemoveFromClient(headers);

        Assert.Equal(kept.Order(StringComparer.OrdinalIgnoreCase), headers.Keys.Order(StringComparer.OrdinalIgnoreCase));
    }

    [Fact]
    public void SeveralCopies_AndSeveralRemovedNames_AllGo()
    {
        var headers = new HeaderDictionary
        {
            ["Host"] = "h",
            ["X-Real-IP"] = new(["10.0.0.1", "10.0.0.2"]),
            ["x_gateway_key_id"] = new(["a", "b"]),
            ["X-Gateway-Key-Id"] = "c",
            ["CF_CONNECTING_IP"] = "10.0.0.3",
            ["Accept_Encoding"] = "gzip",
        };

        ClientHeaderHygiene.RemoveFromClient(headers);

        // HeaderDictionary, like Kestrel's, compares names ignoring case: the two key-id entries were one name.
        Assert.Equal(["Accept_Encoding", "Host"], headers.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void OnlyCommonHeaders_IsTrue_ForCommonNamesAndContentLength()
    {
        Assert.True(ClientHeaderHygiene.OnlyCommonHeaders(new HeaderDictionary()));
        Assert.True(ClientHeaderHygiene.OnlyCommonHeaders(Request(("Content-Length", "5"))));
        Assert.True(ClientHeaderHygiene.OnlyCommonHeaders(Request([.. Common.Select(n => (n, "v")), ("Content-Length", "5")])));
        // A common name present with an empty value is still accounted for.
        Assert.True(ClientHeaderHygiene.OnlyCommonHeaders(Request(("Host", "h"), ("Accept", ""))));
    }

    [Theory]
    [InlineData("X-Real-IP")]
    [InlineData("Accept_Encoding")]
    [InlineData("X-Request-Id")]
    [InlineData("Authorization")]
    public void OnlyCommonHeaders_IsFalse_WhenAnyOtherNameIsThere(string other)
    {
        Assert.False(ClientHeaderHygiene.OnlyCommonHeaders(Request([.. Common.Select(n => (n, "v")), (other, "v")])));
        Assert.False(ClientHeaderHygiene.OnlyCommonHeaders(Request((other, "v"))));
    }

    [Fact]
    public void AContentLengthThatIsNotANumber_IsNotAccountedFor()
    {
        Assert.False(ClientHeaderHygiene.OnlyCommonHeaders(Request(("Host", "h"), ("Content-Length", "x"))));
    }

    /// <summary>
    /// Any mix of common, removed (any spelling and case) and other names: afterwards no removed name is left, and every
    /// other name is, whichever way the shortcut went. The expected set comes from the generator's own labels.
    /// </summary>
    [Fact]
    public void AnyMixOfHeaders_LosesExactlyTheRemovedOnes()
    {
        var removed = RemovedSpellings().ToArray();
        var name = Gen.Frequency<(string Name, bool Goes)>(
            (4, Gen.OneOf(Common).Select(n => (n, false))),
            (2, Gen.Select(Gen.OneOf(removed), Gen.Bool.Array[24], (n, upper) => (Recase(n, upper), true))),
            (2, Gen.OneOf([.. Others, .. SetByTheProxy]).Select(n => (n, false))));

        name.Array[0, 8].Sample(sent =>
        {
            var headers = new HeaderDictionary();
            foreach (var (header, _) in sent)
            {
                headers.Append(header, "v");
            }

            ClientHeaderHygiene.RemoveFromClient(headers);

            var expected = sent.Where(h => !h.Goes).Select(h => h.Name).Distinct(StringComparer.OrdinalIgnoreCase);
            Assert.Equal(expected.Order(StringComparer.OrdinalIgnoreCase), headers.Keys.Order(StringComparer.OrdinalIgnoreCase));
        });
    }

    private static HeaderDictionary Request(params (string Name, string Value)[] headers)
    {
        var dictionary = new HeaderDictionary();
        foreach (var (name, value) in headers)
        {
            dictionary[name] = value;
        }

        return dictionary;
    }

    /// <summary>The name with each of its dashes written as '-' or '_', every combination.</summary>
    private static IEnumerable<string> Spellings(string name)
    {
        var dashes = Enumerable.Range(0, name.Length).Where(i => name[i] == '-').ToArray();
        for (var mask = 0; mask < 1 << dashes.Length; mask++)
        {
            var spelling = name.ToCharArray();
            for (var d = 0; d < dashes.Length; d++)
            {
                if ((mask & (1 << d)) != 0)
                {
                    spelling[dashes[d]] = '_';
                }
            }

            yield return new string(spelling);
        }
    }

    private static string Alternate(string name) =>
        string.Concat(name.Select((c, i) => i % 2 == 0 ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c)));

    private static string Recase(string name, bool[] upper) =>
        string.Concat(name.Select((c, i) => upper[i % upper.Length] ? char.ToUpperInvariant(c) : char.ToLowerInvariant(c)));
}
