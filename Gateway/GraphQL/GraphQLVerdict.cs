namespace Gateway.GraphQL;

/// <summary>The key level a GraphQL request needs (README, "Levels needed").</summary>
public enum GraphQLNeed : byte
{
    Read = 1,
    ReadWrite = 2,
}

/// <summary>Why a GraphQL request is refused before any scope check.</summary>
public enum GraphQLRefusal : byte
{
    None,
    /// <summary>400 <c>invalid_graphql</c>.</summary>
    InvalidGraphQL,
    /// <summary>405 <c>method_not_allowed</c>.</summary>
    MethodNotAllowed,
    /// <summary>415 <c>unsupported_media_type</c>.</summary>
    UnsupportedMediaType,
}

/// <summary>
/// The outcome of a GraphQL check. When <see cref="IsRefused"/>, <see cref="Detail"/> is a short,
/// client-safe sentence for the problem response.
/// </summary>
public readonly record struct GraphQLVerdict(GraphQLRefusal Refusal, GraphQLNeed Need, string? Detail)
{
    // Input echoed into a detail is cut to this many characters, so a response never mirrors a body.
    internal const int MaxEchoedChars = 64;

    public bool IsRefused => Refusal != GraphQLRefusal.None;

    // Stage A cannot know the need. It answers ReadWrite, as every refusal does, so a caller that
    // reads Need without checking the stage fails closed, never open.
    internal static GraphQLVerdict Continue => new(GraphQLRefusal.None, GraphQLNeed.ReadWrite, null);

    public static GraphQLVerdict Allow(GraphQLNeed need) => new(GraphQLRefusal.None, need, null);

    public static GraphQLVerdict Invalid(string detail) =>
        new(GraphQLRefusal.InvalidGraphQL, GraphQLNeed.ReadWrite, detail);

    public static GraphQLVerdict MethodNotAllowed(string detail) =>
        new(GraphQLRefusal.MethodNotAllowed, GraphQLNeed.ReadWrite, detail);

    public static GraphQLVerdict UnsupportedMediaType(string detail) =>
        new(GraphQLRefusal.UnsupportedMediaType, GraphQLNeed.ReadWrite, detail);

    internal static GraphQLNeed Max(GraphQLNeed a, GraphQLNeed b) => a >= b ? a : b;

    /// <summary>
    /// Client text made fit for a detail: at most <see cref="MaxEchoedChars"/> characters, control
    /// characters and surrogates replaced, so a detail stays one short printable line.
    /// </summary>
    internal static string Echo(ReadOnlySpan<char> text)
    {
        Span<char> buffer = stackalloc char[MaxEchoedChars + 3];
        int length = Math.Min(text.Length, MaxEchoedChars);
        for (int i = 0; i < length; i++)
        {
            char c = text[i];
            buffer[i] = char.IsControl(c) || char.IsSurrogate(c) ? '?' : c;
        }

        if (text.Length > MaxEchoedChars)
        {
            "...".AsSpan().CopyTo(buffer[length..]);
            length += 3;
        }

        return new string(buffer[..length]);
    }
}
