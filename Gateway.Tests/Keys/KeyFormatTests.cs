using System.IO.Hashing;
using System.Text;
using Gateway.Keys;

namespace Gateway.Tests.Keys;

public sealed class KeyFormatTests
{
    private const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    // Deliberately not the production routine: 64-bit arithmetic, and a check that six digits sufficed.
    private static string ExpectedChecksum(string body)
    {
        ulong value = Crc32.HashToUInt32(Encoding.ASCII.GetBytes(body));
        var digits = new char[6];
        for (var i = digits.Length - 1; i >= 0; i--)
        {
            digits[i] = Alphabet[(int)(value % 62)];
            value /= 62;
        }

        Assert.Equal(0UL, value);
        return new string(digits);
    }

    private static string KeyWithBody(string body) => "rpa_" + body + ExpectedChecksum(body);

    [Fact]
    public void Generate_HasPrefixLengthAndAlphabet()
    {
        for (var i = 0; i < 500; i++)
        {
            var key = KeyFormat.Generate();
            Assert.Equal(40, key.Length);
            Assert.Equal(KeyFormat.RpaLength, key.Length);
            Assert.StartsWith("rpa_", key, StringComparison.Ordinal);
            Assert.All(key[4..], c => Assert.Contains(c, Alphabet));
            Assert.Equal(KeyForm.Rpa, KeyFormat.Classify(key));
        }
    }

    [Fact]
    public void Generate_ChecksumMatchesIndependentComputation()
    {
        for (var i = 0; i < 500; i++)
        {
            var key = KeyFormat.Generate();
            Assert.Equal(ExpectedChecksum(key[4..34]), key[34..]);
        }
    }

    [Fact]
    public void Generate_1000KeysAreDistinct()
    {
        var keys = Enumerable.Range(0, 1000).Select(_ => KeyFormat.Generate()).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(1000, keys.Count);
    }

    [Fact]
    public void Generate_RandomPartUsesWholeAlphabet()
    {
        // 30,000 draws: the chance that a fair source misses one of 62 characters is about 62 * e^-484.
        var seen = new HashSet<char>();
        for (var i = 0; i < 1000; i++)
        {
            seen.UnionWith(KeyFormat.Generate().AsSpan(4, 30).ToArray());
        }

        Assert.Equal(Alphabet.Length, seen.Count);
    }

    [Fact]
    public void Checksum_HandCheckedVector_AllZeroBody()
    {
        const string body = "000000000000000000000000000000";
        // CRC-32 of thirty 0x30 bytes is 0x77E5DB82 = 2011552642 = 2*62^5 + 12*62^4 + 8*62^3 + 16*62^2 + 45*62 + 28.
        Assert.Equal(0x77E5DB82u, Crc32.HashToUInt32(Encoding.ASCII.GetBytes(body)));
        Assert.Equal(2011552642UL, (((((2UL * 62 + 12) * 62 + 8) * 62 + 16) * 62 + 45) * 62) + 28);
        Assert.Equal("2C8GjS", ExpectedChecksum(body));
        Assert.Equal(KeyForm.Rpa, KeyFormat.Classify("rpa_" + body + "2C8GjS"));
    }

    [Theory]
    [InlineData("000000000000000000000000000000", "2C8GjS")]
    [InlineData("abcdefghijklmnopqrstuvwxyzABCD", "4dNndU")]
    [InlineData("zzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", null)]
    [InlineData("0123456789ABCDEFGHIJKLMNOPQRST", null)]
    public void Checksum_FixedBodies(string body, string? knownChecksum)
    {
        var expected = ExpectedChecksum(body);
        if (knownChecksum is not null)
        {
            Assert.Equal(knownChecksum, expected);
        }

        Span<char> written = stackalloc char[6];
        KeyFormat.WriteChecksum(body, written);
        Assert.Equal(expected, written.ToString());
        Assert.Equal(KeyForm.Rpa, KeyFormat.Classify("rpa_" + body + expected));
    }

    [Fact]
    public void Mutation_AnySingleCharacterOfRandomPartOrChecksum_IsInvalid()
    {
        const string outsiders = "-_!~ .\t\0é\u00ff\uffff";
        var keys = new[] { KeyWithBody("000000000000000000000000000000"), KeyFormat.Generate(), KeyFormat.Generate() };
        var checkedCount = 0;
        foreach (var key in keys)
        {
            for (var position = 4; position < key.Length; position++)
            {
                foreach (var replacement in Alphabet + outsiders)
                {
                    if (replacement == key[position])
                    {
                        continue;
                    }

                    var mutated = string.Concat(key.AsSpan(0, position), [replacement], key.AsSpan(position + 1));
                    Assert.True(
                        KeyFormat.Classify(mutated) == KeyForm.Invalid,
                        $"position {position} -> '{replacement}' was accepted");
                    checkedCount++;
                }
            }
        }

        Assert.Equal(3 * 36 * (Alphabet.Length + outsiders.Length - 1), checkedCount);
    }

    [Fact]
    public void Mutation_OfThePrefix_IsNoLongerRpa()
    {
        var key = KeyFormat.Generate();
        // The prefix is case-sensitive: without an exact "rpa_" the token is judged as a legacy key.
        Assert.Equal(KeyForm.Legacy, KeyFormat.Classify("RPA_" + key[4..]));
        Assert.Equal(KeyForm.Legacy, KeyFormat.Classify("rpb_" + key[4..]));
        Assert.Equal(KeyForm.Legacy, KeyFormat.Classify("rpa-" + key[4..]));
    }

    [Theory]
    [InlineData("rpa_")]
    [InlineData("rpa_short")]
    [InlineData("rpa_!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!")]
    [InlineData("rpa_00000000000000000000000000000000000")] // 39
    [InlineData("rpa_000000000000000000000000000000000000")] // 40, wrong checksum
    [InlineData("rpa_0000000000000000000000000000002C8GjS0")] // 41
    [InlineData("rpa_00000000000000000000000000000 2C8GjS")]
    [InlineData("rpa_00000000000000000000000000000-2C8GjS")]
    [InlineData("rpa_0000000000000000000000000000002c8gjS")]
    [InlineData("rpa_0000000000000000000000000000002C8GjSxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")]
    public void RpaPrefixWithGarbage_IsInvalidNotLegacy(string token)
    {
        Assert.Equal(KeyForm.Invalid, KeyFormat.Classify(token));
    }

    [Fact]
    public void RpaPrefixedKeyOfLegacyShape_IsInvalid()
    {
        Assert.Equal(KeyForm.Invalid, KeyFormat.Classify("rpa_" + new string('x', 100)));
        Assert.Equal(KeyForm.Invalid, KeyFormat.Classify(KeyFormat.Generate()[..39] + "~"));
    }

    [Theory]
    [InlineData(0, KeyForm.Invalid)]
    [InlineData(1, KeyForm.Invalid)]
    [InlineData(15, KeyForm.Invalid)]
    [InlineData(16, KeyForm.Legacy)]
    [InlineData(40, KeyForm.Legacy)]
    [InlineData(255, KeyForm.Legacy)]
    [InlineData(256, KeyForm.Legacy)]
    [InlineData(257, KeyForm.Invalid)]
    [InlineData(10_000, KeyForm.Invalid)]
    public void Legacy_LengthBounds(int length, KeyForm expected)
    {
        Assert.Equal(expected, KeyFormat.Classify(new string('k', length)));
    }

    [Fact]
    public void Legacy_EveryPrintableNonSpaceAsciiCharacterIsAllowed()
    {
        var all = new string(Enumerable.Range(0x21, 0x7E - 0x21 + 1).Select(c => (char)c).ToArray());
        Assert.Equal(94, all.Length);
        Assert.Equal(KeyForm.Legacy, KeyFormat.Classify(all));
        Assert.Equal(KeyForm.Legacy, KeyFormat.Classify(new string('!', 16)));
        Assert.Equal(KeyForm.Legacy, KeyFormat.Classify(new string('~', 16)));
    }

    [Fact]
    public void Legacy_AnyCharacterOutsidePrintableAscii_IsInvalid()
    {
        for (var c = 0; c <= 0x2FF; c++)
        {
            if (c is >= 0x21 and <= 0x7E)
            {
                continue;
            }

            var token = "legacykey" + (char)c + "legacykey";
            Assert.True(KeyFormat.Classify(token) == KeyForm.Invalid, $"U+{c:X4} was accepted");
        }
    }

    [Theory]
    [InlineData("legacy key with spaces")]
    [InlineData("legacy\tkeyvalue0123")]
    [InlineData("legacykeyvalue0123\u007f")]
    [InlineData("legacykeyvalue0123é")]
    [InlineData("legacykeyvalue0123\u00a0")]
    [InlineData("legacykeyvalue0123\n")]
    [InlineData(" legacykeyvalue0123")]
    [InlineData("\ud83d\udd11legacykeyvalue0123")]
    public void Legacy_SpaceTabDelAndNonAscii_AreInvalid(string token)
    {
        Assert.Equal(KeyForm.Invalid, KeyFormat.Classify(token));
    }

    [Fact]
    public void Classify_AllocatesNothing()
    {
        var rpa = KeyFormat.Generate();
        var legacy = new string('L', 200);
        var invalid = "rpa_" + new string('0', 36);
        var expected = ClassifyAll(); // warm-up: JIT and static initialisation

        // Asserts allocate, so the loop only records and the checks come after the measurement.
        var same = true;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            same &= ClassifyAll() == expected;
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.True(same);
        Assert.Equal((KeyForm.Rpa, KeyForm.Legacy, KeyForm.Invalid, KeyForm.Invalid), expected);

        (KeyForm, KeyForm, KeyForm, KeyForm) ClassifyAll() => (
            KeyFormat.Classify(rpa),
            KeyFormat.Classify(legacy),
            KeyFormat.Classify(invalid),
            KeyFormat.Classify("short"));
    }

    [Theory]
    [InlineData("a", true)]
    [InlineData("_-", true)]
    [InlineData("-", true)]
    [InlineData("_", true)]
    [InlineData("abc123XYZ_-", true)]
    [InlineData("0123456789", true)]
    [InlineData("", false)]
    [InlineData(".", false)]
    [InlineData("..", false)]
    [InlineData("a.b", false)]
    [InlineData("a/b", false)]
    [InlineData("/", false)]
    [InlineData("a\\b", false)]
    [InlineData("a%2Fb", false)]
    [InlineData("%", false)]
    [InlineData("*", false)]
    [InlineData("a b", false)]
    [InlineData("a+b", false)]
    [InlineData("é", false)]
    [InlineData("ａ", false)] // fullwidth a
    [InlineData("ab\u0000", false)]
    [InlineData("K\u212A", false)] // Kelvin sign folds to K under some comparisons
    public void IsValidEndpointId_Pattern(string id, bool expected)
    {
        Assert.Equal(expected, KeyFormat.IsValidEndpointId(id));
    }

    [Fact]
    public void IsValidEndpointId_LengthBounds()
    {
        Assert.True(KeyFormat.IsValidEndpointId(new string('a', 64)));
        Assert.False(KeyFormat.IsValidEndpointId(new string('a', 65)));
        Assert.True(KeyFormat.IsValidEndpointId(new string('-', 64)));
    }

    [Fact]
    public void IsValidEndpointId_EachAsciiCharacterAgainstThePattern()
    {
        for (var c = 0; c < 128; c++)
        {
            var expected = c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or '_' or '-';
            Assert.True(expected == KeyFormat.IsValidEndpointId([(char)c]), $"U+{c:X4}");
        }
    }

    [Fact]
    public void DisplayPrefix_IsFirstEightCharacters()
    {
        var key = KeyFormat.Generate();
        Assert.Equal(key[..8], KeyFormat.DisplayPrefix(key));
        Assert.StartsWith("rpa_", KeyFormat.DisplayPrefix(key), StringComparison.Ordinal);
        Assert.Equal("legacyke", KeyFormat.DisplayPrefix("legacykeyvalue0123"));
        Assert.Equal("short", KeyFormat.DisplayPrefix("short"));
        Assert.Throws<ArgumentNullException>(() => KeyFormat.DisplayPrefix(null!));
    }
}
