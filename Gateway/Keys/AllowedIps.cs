using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Gateway.Keys;

/// <summary>
/// A key's client-address allow-list (contract §8): parsing and canonical form of the admin API's entries, the record
/// field, and the decision. Pure: no I/O, so it is tested directly.
/// </summary>
public static class AllowedIps
{
    public const int MaxEntries = 100;

    /// <summary>
    /// Parses the admin API's entries into blocks: an address or <c>address/prefix</c>, IPv4 in four dotted decimal
    /// parts or IPv6, no zone id, no bits set after the prefix. Exact duplicates (after canonical form) are kept once.
    /// Returns the problem, or null.
    /// </summary>
    public static string? TryParse(IReadOnlyList<string?> entries, out IPNetwork[] blocks)
    {
        blocks = [];
        if (entries.Count > MaxEntries)
        {
            return $"at most {MaxEntries} entries";
        }

        var parsed = new List<IPNetwork>(entries.Count);
        foreach (var entry in entries)
        {
            if (entry is null)
            {
                return "entries must be strings";
            }

            if (ParseEntry(entry.Trim(), out var block) is { } problem)
            {
                return problem;
            }

            if (!parsed.Contains(block))
            {
                parsed.Add(block);
            }
        }

        blocks = [.. parsed];
        return null;
    }

    /// <summary>One entry in the admin API's form (also the form of <c>ForwardedHeaders</c> entries); the problem, or null.</summary>
    public static string? ParseEntry(string entry, out IPNetwork block)
    {
        block = default;
        var shown = Shown(entry);
        var slash = entry.IndexOf('/', StringComparison.Ordinal);
        var addressText = slash < 0 ? entry : entry[..slash];

        // IPAddress.TryParse also reads "10", "10.1", "0x0a.1.2.3" and "010.1.2.3" (octal in some parsers): forms that
        // read differently elsewhere are refused rather than guessed. A zone id names an interface of one host only.
        if (addressText.Contains('%', StringComparison.Ordinal) || !IPAddress.TryParse(addressText, out var address)
            || (address.AddressFamily == AddressFamily.InterNetwork ? address.ToString() != addressText : !addressText.All(IsIPv6Char)))
        {
            return $"'{shown}' is not an IPv4 or IPv6 address or CIDR block";
        }

        var width = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        var prefix = width;
        if (slash >= 0)
        {
            var prefixText = entry[(slash + 1)..];
            if (prefixText.Length is 0 or > 3 || !prefixText.All(char.IsAsciiDigit)
                || !int.TryParse(prefixText, NumberStyles.None, CultureInfo.InvariantCulture, out prefix) || prefix > width)
            {
                return $"'{shown}' has a prefix length outside 0 to {width}";
            }
        }

        var masked = Mask(address, prefix);
        if (!masked.Equals(address))
        {
            // Refused, not rounded down: "10.1.2.3/8" may mean the /8 or a typo for one address, and a guess that widens
            // the list opens a key to a whole network.
            return $"'{shown}' has bits set after the prefix (the block is {masked}/{prefix})";
        }

        block = new IPNetwork(address, prefix);
        return null;
    }

    /// <summary>The canonical text of a block: a bare address for a single one, else <c>base/prefix</c>.</summary>
    public static string Format(IPNetwork block) =>
        block.PrefixLength == (block.BaseAddress.AddressFamily == AddressFamily.InterNetwork ? 32 : 128)
            ? block.BaseAddress.ToString()
            : block.ToString();

    /// <summary>The record's field: canonical entries joined by commas; empty for none.</summary>
    public static string Encode(IPNetwork[] blocks) => string.Join(',', blocks.Select(Format));

    /// <summary>Decodes the record's field; null when any entry does not parse (the caller treats the record as damaged: fail closed).</summary>
    public static IPNetwork[]? Decode(string? field)
    {
        if (string.IsNullOrEmpty(field))
        {
            return [];
        }

        return TryParse(field.Split(','), out var blocks) is null && blocks.Length > 0 ? blocks : null;
    }

    /// <summary>
    /// Whether <paramref name="client"/> may use a key with these blocks. No blocks: any address. An IPv4 client also
    /// matches IPv6 blocks through its IPv4-mapped form (<c>::ffff:a.b.c.d</c>), and an IPv4-mapped client matches
    /// IPv4 blocks: a dual-stack socket reports IPv4 clients in the mapped form, and both name the same client. An
    /// unknown client address (null) matches nothing: fails closed.
    /// </summary>
    public static bool Allows(IPNetwork[] blocks, IPAddress? client)
    {
        if (blocks.Length == 0)
        {
            return true;
        }

        if (client is null)
        {
            return false;
        }

        if (AnyContains(blocks, client))
        {
            return true;
        }

        var other = client.IsIPv4MappedToIPv6 ? client.MapToIPv4()
            : client.AddressFamily == AddressFamily.InterNetwork ? client.MapToIPv6()
            : null;
        return other is not null && AnyContains(blocks, other);
    }

    private static bool AnyContains(IPNetwork[] blocks, IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        if (!address.TryWriteBytes(bytes, out var length))
        {
            return false;
        }

        bytes = bytes[..length];
        foreach (var block in blocks)
        {
            if (Contains(block, bytes))
            {
                return true;
            }
        }

        return false;
    }

    // By the address bytes, so a zone id on a link-local client does not change what it matches. Not IPNetwork.Contains:
    // on .NET 10 it answers false for every IPv4-mapped address against a block of prefix 96 or less (::ffff:0:0/96
    // included), which would make the mapped entries this list accepts match nothing.
    private static bool Contains(IPNetwork block, ReadOnlySpan<byte> address)
    {
        Span<byte> baseBytes = stackalloc byte[16];
        if (!block.BaseAddress.TryWriteBytes(baseBytes, out var length) || length != address.Length)
        {
            return false;
        }

        var whole = block.PrefixLength / 8;
        if (!address[..whole].SequenceEqual(baseBytes[..whole]))
        {
            return false;
        }

        var rest = block.PrefixLength % 8;
        var mask = (byte)(0xFF << (8 - rest));
        return rest == 0 || (address[whole] & mask) == (baseBytes[whole] & mask);
    }

    // The parser also takes "[::1]" and "[::1]:80"; an entry is the address alone.
    private static bool IsIPv6Char(char c) => char.IsAsciiHexDigit(c) || c is ':' or '.';

    private static IPAddress Mask(IPAddress address, int prefix)
    {
        var bytes = address.GetAddressBytes();
        for (var i = 0; i < bytes.Length; i++)
        {
            var keep = Math.Clamp(prefix - (i * 8), 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - keep));
        }

        return new IPAddress(bytes);
    }

    private static string Shown(string text)
    {
        var cut = text.Length > 64 ? text[..64] : text;
        return string.Concat(cut.Select(c => char.IsControl(c) ? '?' : c));
    }
}
