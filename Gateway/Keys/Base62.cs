using System.Buffers;
using System.Security.Cryptography;

namespace Gateway.Keys;

internal static class Base62
{
    public const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    // 62^6 > 2^32, so six digits hold any CRC-32.
    public const int UInt32Digits = 6;

    private static readonly SearchValues<char> Digits = SearchValues.Create(Alphabet);

    public static bool IsBase62(ReadOnlySpan<char> text) => !text.ContainsAnyExcept(Digits);

    /// <summary>Writes <paramref name="value"/> big-endian into all of <paramref name="destination"/>, zero-padded.</summary>
    public static void EncodeFixed(uint value, Span<char> destination)
    {
        for (var i = destination.Length - 1; i >= 0; i--)
        {
            destination[i] = Alphabet[(int)(value % 62)];
            value /= 62;
        }
    }

    /// <summary>Fills <paramref name="destination"/> uniformly from the alphabet with a CSPRNG.</summary>
    public static void FillRandom(Span<char> destination) =>
        RandomNumberGenerator.GetItems(Alphabet.AsSpan(), destination);

    public static string Random(string prefix, int randomChars)
    {
        Span<char> buffer = stackalloc char[prefix.Length + randomChars];
        prefix.CopyTo(buffer);
        FillRandom(buffer[prefix.Length..]);
        return new string(buffer);
    }
}
