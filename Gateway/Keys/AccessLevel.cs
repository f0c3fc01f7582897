namespace Gateway.Keys;

/// <summary>What a key may do on one scope. Ordered: a higher value grants everything a lower one does.</summary>
public enum AccessLevel : byte
{
    None = 0,
    Read = 1,
    ReadWrite = 2,
}

public static class AccessLevels
{
    public const string NoneWire = "none";
    public const string ReadWire = "read";
    public const string ReadWriteWire = "readwrite";

    /// <summary>Parses the lowercase wire form; anything else (including "Read") is refused.</summary>
    public static bool TryParse(string? wire, out AccessLevel level)
    {
        switch (wire)
        {
            case NoneWire:
                level = AccessLevel.None;
                return true;
            case ReadWire:
                level = AccessLevel.Read;
                return true;
            case ReadWriteWire:
                level = AccessLevel.ReadWrite;
                return true;
            default:
                level = AccessLevel.None;
                return false;
        }
    }

    public static string ToWire(this AccessLevel level) => level switch
    {
        AccessLevel.None => NoneWire,
        AccessLevel.Read => ReadWire,
        AccessLevel.ReadWrite => ReadWriteWire,
        _ => throw new ArgumentOutOfRangeException(nameof(level), level, "Not a defined access level."),
    };

    public static bool IsDefined(this AccessLevel level) => level <= AccessLevel.ReadWrite;
}
