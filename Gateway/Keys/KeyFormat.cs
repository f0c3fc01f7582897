using System.Buffers;
using System.IO.Hashing;

namespace Gateway.Keys;

public enum KeyForm : byte
{
    Invalid,
    Rpa,
    Legacy,
}

/// <summary>
/// The shape of a presented key, judged offline: a mistyped or invented <c>rpa_</c> key fails here,
/// before any store lookup.
/// </summary>
public static class KeyFormat
{
    public const string RpaPrefix = "rpa_";
    public const int RpaRandomLength = 30;
    public const int RpaChecksumLength = Base62.UInt32Digits;
    public const int RpaLength = 40; // prefix 4 + random 30 + checksum 6
    public const int LegacyMinLength = 16;
    public const int LegacyMaxLength = 256;
    public const int MaxEndpointIdLength = 64;
    public const int DisplayPrefixLength = 8;

    private static readonly SearchValues<char> EndpointIdChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-");

    // Printable non-space ASCII, 0x21..0x7E. ContainsAnyExceptInRange measured 96 bytes a call here on net10.0; this is free.
    private static readonly SearchValues<char> LegacyChars = SearchValues.Create(
        "!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~");

    /// <summary>A new <c>rpa_</c> key: 30 CSPRNG base62 characters (178 bits) and a CRC-32 checksum.</summary>
    public static string Generate()
    {
        Span<char> key = stackalloc char[RpaLength];
        RpaPrefix.CopyTo(key);
        var random = key.Slice(RpaPrefix.Length, RpaRandomLength);
        Base62.FillRandom(random);
        WriteChecksum(random, key[(RpaPrefix.Length + RpaRandomLength)..]);
        return new string(key);
    }

    public static KeyForm Classify(ReadOnlySpan<char> token)
    {
        // Anything claiming the rpa_ form is held to it, so a damaged new key is never looked up as legacy.
        if (token.StartsWith(RpaPrefix))
        {
            return IsValidRpa(token) ? KeyForm.Rpa : KeyForm.Invalid;
        }

        if (token.Length is < LegacyMinLength or > LegacyMaxLength || token.ContainsAnyExcept(LegacyChars))
        {
            return KeyForm.Invalid;
        }

        return KeyForm.Legacy;
    }

    /// <summary><c>^[A-Za-z0-9_-]{1,64}$</c>.</summary>
    public static bool IsValidEndpointId(ReadOnlySpan<char> id) =>
        id.Length is >= 1 and <= MaxEndpointIdLength && !id.ContainsAnyExcept(EndpointIdChars);

    /// <summary>The first 8 characters, the only part of a key the store keeps in the clear.</summary>
    public static string DisplayPrefix(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.Length <= DisplayPrefixLength ? key : key[..DisplayPrefixLength];
    }

    private static bool IsValidRpa(ReadOnlySpan<char> token)
    {
        if (token.Length != RpaLength)
        {
            return false;
        }

        var body = token[RpaPrefix.Length..];
        if (!Base62.IsBase62(body))
        {
            return false;
        }

        Span<char> expected = stackalloc char[RpaChecksumLength];
        WriteChecksum(body[..RpaRandomLength], expected);
        return expected.SequenceEqual(body[RpaRandomLength..]);
    }

    /// <summary>CRC-32 (IEEE) of the random part's ASCII bytes as six base62 digits.</summary>
    internal static void WriteChecksum(ReadOnlySpan<char> random, Span<char> destination)
    {
        if (random.Length != RpaRandomLength || destination.Length != RpaChecksumLength)
        {
            throw new ArgumentException("The random part is 30 characters and the checksum 6.");
        }

        Span<byte> bytes = stackalloc byte[RpaRandomLength];
        for (var i = 0; i < random.Length; i++)
        {
            // Callers pass base62 only, so narrowing to a byte is the ASCII encoding.
            bytes[i] = (byte)random[i];
        }

        Base62.EncodeFixed(Crc32.HashToUInt32(bytes), destination);
    }
}
