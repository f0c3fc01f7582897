namespace Gateway.Enforcement;

/// <summary>
/// Paths no upstream could read as another endpoint. Both the raw request target and the decoded path are
/// checked: Kestrel decodes <c>%252F</c> to <c>%2F</c>, so a double-encoded slash shows up only in the latter.
/// </summary>
public static class PathRules
{
    public static bool IsSafe(string? rawTarget, string? decodedPath) =>
        IsSafePart(PathOf(rawTarget)) && IsSafePart(decodedPath.AsSpan());

    private static ReadOnlySpan<char> PathOf(string? rawTarget)
    {
        if (rawTarget is null)
        {
            return default;
        }

        var span = rawTarget.AsSpan();
        var query = span.IndexOfAny('?', '#');
        return query < 0 ? span : span[..query];
    }

    private static bool IsSafePart(ReadOnlySpan<char> path)
    {
        if (path.Contains('\\') || path.IndexOf("//", StringComparison.Ordinal) >= 0)
        {
            return false;
        }

        // Most paths hold no '%' at all; the vectorized search for it is much cheaper than two case-insensitive
        // substring searches (bench/profile.sh: 0.5 % of the gateway's CPU on the endpoint GET case).
        var percent = path.IndexOf('%');
        return percent < 0
            || (path[percent..].IndexOf("%2F", StringComparison.OrdinalIgnoreCase) < 0
                && path[percent..].IndexOf("%5C", StringComparison.OrdinalIgnoreCase) < 0);
    }
}
