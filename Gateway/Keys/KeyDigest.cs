using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Gateway.Keys;

/// <summary>
/// SHA-256 of a key, the only form in which a key is stored or cached. A value type so the hot path
/// hashes a presented key without touching the heap.
/// </summary>
public readonly record struct KeyDigest(ulong A, ulong B, ulong C, ulong D)
{
    public const int HexLength = 64;
    private const int ByteLength = 32;

    // Legacy keys are at most 256 ASCII characters; anything longer is refused by KeyFormat.Classify
    // before hashing, so the pooled path below exists only so that misuse is not a stack overflow.
    private const int MaxStackChars = KeyFormat.LegacyMaxLength;
    private const int MaxStackBytes = (MaxStackChars + 1) * 3;

    public static KeyDigest Compute(ReadOnlySpan<char> key)
    {
        byte[]? pooled = null;
        var buffer = key.Length <= MaxStackChars
            ? stackalloc byte[MaxStackBytes]
            : (pooled = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(key.Length)));
        try
        {
            // UTF-8 equals ASCII for every valid key, and keeps distinct non-ASCII input distinct.
            var written = Encoding.UTF8.GetBytes(key, buffer);
            Span<byte> hash = stackalloc byte[ByteLength];
            SHA256.HashData(buffer[..written], hash);
            CryptographicOperations.ZeroMemory(buffer[..written]);
            return FromBytes(hash);
        }
        finally
        {
            if (pooled is not null)
            {
                ArrayPool<byte>.Shared.Return(pooled);
            }
        }
    }

    public string ToHex()
    {
        Span<byte> bytes = stackalloc byte[ByteLength];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, A);
        BinaryPrimitives.WriteUInt64BigEndian(bytes[8..], B);
        BinaryPrimitives.WriteUInt64BigEndian(bytes[16..], C);
        BinaryPrimitives.WriteUInt64BigEndian(bytes[24..], D);
        return Convert.ToHexStringLower(bytes);
    }

    /// <summary>Parses exactly 64 hex digits (either case).</summary>
    public static bool TryParseHex(ReadOnlySpan<char> hex, out KeyDigest digest)
    {
        Span<byte> bytes = stackalloc byte[ByteLength];
        if (hex.Length != HexLength
            || Convert.FromHexString(hex, bytes, out _, out var written) != OperationStatus.Done
            || written != ByteLength)
        {
            digest = default;
            return false;
        }

        digest = FromBytes(bytes);
        return true;
    }

    // A digest identifies a key; keep it out of logs and exception messages by accident.
    public override string ToString() => "KeyDigest(redacted)";

    private static KeyDigest FromBytes(ReadOnlySpan<byte> bytes) => new(
        BinaryPrimitives.ReadUInt64BigEndian(bytes),
        BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]),
        BinaryPrimitives.ReadUInt64BigEndian(bytes[16..]),
        BinaryPrimitives.ReadUInt64BigEndian(bytes[24..]));
}
