using System.Security.Cryptography;
using System.Text;
using Gateway.Keys;

namespace Gateway.Tests.Keys;

public sealed class KeyDigestTests
{
    private static string Sha256Hex(string text) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    public static TheoryData<string> Keys() => new()
    {
        "rpa_0000000000000000000000000000002C8GjS",
        KeyFormat.Generate(),
        new string('!', 16),
        new string('~', 256),
        "legacy-key-0123456789",
        "",
    };

    [Theory]
    [MemberData(nameof(Keys))]
    public void Compute_EqualsSha256OfAsciiBytes(string key)
    {
        var digest = KeyDigest.Compute(key);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(key))), digest.ToHex());
    }

    [Fact]
    public void Compute_KnownVector()
    {
        var digest = KeyDigest.Compute("abc");
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", digest.ToHex());
        Assert.Equal(new KeyDigest(0xba7816bf8f01cfeaUL, 0x414140de5dae2223UL, 0xb00361a396177a9cUL, 0xb410ff61f20015adUL), digest);
    }

    [Fact]
    public void Compute_LongerThanAnyKey_StillHashesCorrectly()
    {
        var huge = new string('x', 5000);
        Assert.Equal(Sha256Hex(huge), KeyDigest.Compute(huge).ToHex());
    }

    [Fact]
    public void Compute_NonAsciiInput_HashesUtf8AndStaysDistinct()
    {
        const string accented = "légacy-key-0123456789";
        Assert.Equal(Sha256Hex(accented), KeyDigest.Compute(accented).ToHex());
        Assert.NotEqual(KeyDigest.Compute("l?gacy-key-0123456789"), KeyDigest.Compute(accented));
        Assert.Equal(Sha256Hex(new string('é', 256)), KeyDigest.Compute(new string('é', 256)).ToHex());
    }

    [Fact]
    public void Equality_FollowsTheKey()
    {
        var key = KeyFormat.Generate();
        Assert.Equal(KeyDigest.Compute(key), KeyDigest.Compute(new string(key.AsSpan())));
        Assert.Equal(KeyDigest.Compute(key).GetHashCode(), KeyDigest.Compute(key).GetHashCode());
        Assert.NotEqual(KeyDigest.Compute(key), KeyDigest.Compute(KeyFormat.Generate()));
        Assert.NotEqual(KeyDigest.Compute("legacy-key-0123456789"), KeyDigest.Compute("Legacy-key-0123456789"));
    }

    [Theory]
    [MemberData(nameof(Keys))]
    public void Hex_RoundTrips(string key)
    {
        var digest = KeyDigest.Compute(key);
        var hex = digest.ToHex();
        Assert.Equal(64, hex.Length);
        Assert.Matches("^[0-9a-f]{64}$", hex);
        Assert.True(KeyDigest.TryParseHex(hex, out var parsed));
        Assert.Equal(digest, parsed);
        Assert.True(KeyDigest.TryParseHex(hex.ToUpperInvariant(), out var upper));
        Assert.Equal(digest, upper);
    }

    [Theory]
    [InlineData("")]
    [InlineData("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a")] // 63
    [InlineData("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad0")] // 65
    [InlineData("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ag")]
    [InlineData("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a ")]
    [InlineData(" a7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")]
    [InlineData("0xba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015")]
    [InlineData("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a\u0661")]
    public void TryParseHex_RefusesAnythingButSixtyFourHexDigits(string hex)
    {
        Assert.False(KeyDigest.TryParseHex(hex, out var digest));
        Assert.Equal(default, digest);
    }

    [Fact]
    public void ToString_DoesNotRevealTheDigest()
    {
        var digest = KeyDigest.Compute("abc");
        Assert.DoesNotContain("ba7816bf", digest.ToString(), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(digest.A.ToString(System.Globalization.CultureInfo.InvariantCulture), digest.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Compute_AllocatesNothing()
    {
        var rpa = KeyFormat.Generate();
        var legacy = new string('L', 256);
        KeyDigest.Compute(rpa); // warm-up: JIT, static initialisation, crypto provider
        KeyDigest.Compute(legacy);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var last = default(KeyDigest);
        for (var i = 0; i < 1000; i++)
        {
            last = KeyDigest.Compute(rpa);
            last = KeyDigest.Compute(legacy);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(KeyDigest.Compute(legacy), last);
    }
}
