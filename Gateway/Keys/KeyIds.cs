namespace Gateway.Keys;

public static class KeyIds
{
    public const string Prefix = "key_";
    public const int RandomLength = 20;
    public const int Length = 24;

    /// <summary>A fresh non-secret id, random rather than derived from the key so it reveals nothing about it.</summary>
    public static string NewId() => Base62.Random(Prefix, RandomLength);

    /// <summary>Whether <paramref name="id"/> has the shape <see cref="NewId"/> produces; lets callers refuse junk before a lookup.</summary>
    public static bool IsWellFormed(ReadOnlySpan<char> id) =>
        id.Length == Length && id.StartsWith(Prefix) && Base62.IsBase62(id[Prefix.Length..]);
}
