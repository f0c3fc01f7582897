using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace Gateway.Store;

/// <summary>
/// A place in the newest-first key list: (createdAt, id). It is the member of the order index (fixed-width time, then the
/// id, so byte order is list order) and, base64url-encoded, the admin list's opaque cursor.
/// </summary>
public readonly record struct KeyListPosition(long CreatedAtMs, string Id)
{
    // 15 digits: milliseconds reach 10^15 in the year 33,658, so the width never changes and byte order stays time order.
    private const int TimeDigits = 15;
    private const int MaxIdLength = 64;

    public static KeyListPosition Of(Keys.ApiKey key) => new(key.CreatedAt.ToUnixTimeMilliseconds(), key.Id);

    /// <summary>The order index's member: <c>000001764554400000:key_...</c>.</summary>
    public string Member => CreatedAtMs.ToString("D15", CultureInfo.InvariantCulture) + ":" + Id;

    public string ToCursor() => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(Member));

    /// <summary>Reads an index member; anything else (a damaged entry) is <c>false</c> and is skipped by the list.</summary>
    public static bool TryParseMember(ReadOnlySpan<char> member, out KeyListPosition position)
    {
        position = default;
        if (member.Length < TimeDigits + 2 || member[TimeDigits] != ':' || member.Length - TimeDigits - 1 > MaxIdLength)
        {
            return false;
        }

        var time = member[..TimeDigits];
        var id = member[(TimeDigits + 1)..];
        foreach (var c in time)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        foreach (var c in id)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('_' or '-'))
            {
                return false;
            }
        }

        position = new KeyListPosition(long.Parse(time, NumberStyles.None, CultureInfo.InvariantCulture), id.ToString());
        return true;
    }

    /// <summary>
    /// Reads a cursor strictly: canonical base64url (no padding, no stray bits) of a well-formed member. A cursor is a
    /// position, not a secret or a capability: one edited into another well-formed position just starts the list there.
    /// </summary>
    public static bool TryParseCursor(string? cursor, out KeyListPosition position)
    {
        position = default;
        if (string.IsNullOrEmpty(cursor) || cursor.Length > 128 || !Base64Url.IsValid(cursor))
        {
            return false;
        }

        byte[] bytes;
        try
        {
            bytes = Base64Url.DecodeFromChars(cursor);
        }
        catch (FormatException)
        {
            return false;
        }

        // Only the one encoding of a position is accepted: re-encoding must give back the very same text.
        return Base64Url.EncodeToString(bytes) == cursor
            && Ascii.IsValid(bytes)
            && TryParseMember(Encoding.ASCII.GetString(bytes), out position);
    }
}
