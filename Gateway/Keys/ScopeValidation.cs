using System.Text;

namespace Gateway.Keys;

/// <summary>
/// Turns the admin API's wire scopes into levels. Errors name the offending field and quote at most
/// 64 characters of client input, with anything outside printable ASCII shown as '?', so an error
/// can go into a response or a log line unchanged.
/// </summary>
public static class ScopeValidation
{
    public const int MaxEchoLength = 64;

    private const string LevelExpectation = "expected \"none\", \"read\" or \"readwrite\"";

    /// <summary>Parses one level field, e.g. <c>graphql</c>; <paramref name="error"/> names <paramref name="field"/>.</summary>
    public static bool TryParseLevel(string field, string? wire, out AccessLevel level, out string? error)
    {
        ArgumentNullException.ThrowIfNull(field);
        if (AccessLevels.TryParse(wire, out level))
        {
            error = null;
            return true;
        }

        error = DescribeBadLevel(field, wire);
        return false;
    }

    /// <summary>
    /// Each key must be <c>*</c> or a valid endpoint id and each value a level. On failure
    /// <paramref name="parsed"/> is empty and <paramref name="error"/> names the first bad entry.
    /// </summary>
    public static bool TryParseEndpoints(
        IReadOnlyDictionary<string, string> wire,
        out Dictionary<string, AccessLevel> parsed,
        out string? error)
    {
        ArgumentNullException.ThrowIfNull(wire);
        var result = new Dictionary<string, AccessLevel>(wire.Count, StringComparer.Ordinal);
        foreach (var (endpoint, value) in wire)
        {
            var field = $"endpoints[\"{Echo(endpoint)}\"]";
            if (endpoint != KeyScopes.AnyEndpoint && !KeyFormat.IsValidEndpointId(endpoint))
            {
                parsed = new Dictionary<string, AccessLevel>(StringComparer.Ordinal);
                error = $"{field}: not \"*\" or an endpoint id of 1 to 64 characters A-Z, a-z, 0-9, '_' or '-'";
                return false;
            }

            if (!AccessLevels.TryParse(value, out var level))
            {
                parsed = new Dictionary<string, AccessLevel>(StringComparer.Ordinal);
                error = DescribeBadLevel(field, value);
                return false;
            }

            result[endpoint] = level;
        }

        parsed = result;
        error = null;
        return true;
    }

    private static string DescribeBadLevel(string field, string? wire) => wire is null
        ? $"{field}: missing level; {LevelExpectation}"
        : $"{field}: unknown level \"{Echo(wire)}\"; {LevelExpectation}";

    /// <summary>At most 64 characters of <paramref name="input"/>, printable ASCII only.</summary>
    internal static string Echo(string? input)
    {
        if (string.IsNullOrEmpty(input))
        {
            return string.Empty;
        }

        var take = Math.Min(input.Length, MaxEchoLength);
        var echo = new StringBuilder(take + 3);
        for (var i = 0; i < take; i++)
        {
            var c = input[i];
            echo.Append(c is >= ' ' and <= '~' && c != '"' && c != '\\' ? c : '?');
        }

        if (input.Length > MaxEchoLength)
        {
            echo.Append("...");
        }

        return echo.ToString();
    }
}
