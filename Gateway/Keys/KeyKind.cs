namespace Gateway.Keys;

public enum KeyKind : byte
{
    Rpa,
    Legacy,
}

public static class KeyKinds
{
    public const string RpaWire = "rpa";
    public const string LegacyWire = "legacy";

    public static bool TryParse(string? wire, out KeyKind kind)
    {
        switch (wire)
        {
            case RpaWire:
                kind = KeyKind.Rpa;
                return true;
            case LegacyWire:
                kind = KeyKind.Legacy;
                return true;
            default:
                kind = KeyKind.Rpa;
                return false;
        }
    }

    public static string ToWire(this KeyKind kind) => kind switch
    {
        KeyKind.Rpa => RpaWire,
        KeyKind.Legacy => LegacyWire,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not a defined key kind."),
    };
}
