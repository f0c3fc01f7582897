using BenchmarkDotNet.Attributes;
using Gateway.Enforcement;

namespace HotPath;

/// <summary>
/// <see cref="PathRules.IsSafe"/> as it is (';' and %3B refused too, issue 9) beside the rules it replaced
/// (<see cref="PreviousPathRules"/>), in one process, so the two are measured under the same load.
/// </summary>
[MemoryDiagnoser]
public class PathRulesBenchmarks
{
    /// <summary>A typical endpoint target, a longer one, and one with a '%' (the slower branch of both).</summary>
    [Params("/v2/abc123/run", "/v2/abc123/status/sync-2f6c1b9e-7d4a-4c1e-9b1a-3e5f8d2c6a71-u1", "/v2/abc123/run/a%20b")]
    public string Target { get; set; } = "";

    private string _decoded = "";

    [GlobalSetup]
    public void Setup() => _decoded = Uri.UnescapeDataString(Target);

    [Benchmark(Baseline = true)]
    public bool Previous() => PreviousPathRules.IsSafe(Target, _decoded);

    [Benchmark]
    public bool Current() => PathRules.IsSafe(Target, _decoded);

    /// <summary>The path rules before issue 9 (encoded slash and backslash, backslash, empty segment), kept as the baseline.</summary>
    private static class PreviousPathRules
    {
        public static bool IsSafe(string? rawTarget, string? decodedPath) =>
            IsSafePart(PathOf(rawTarget)) && IsSafePart(decodedPath.AsSpan());

        private static ReadOnlySpan<char> PathOf(string? rawTarget)
        {
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

            var percent = path.IndexOf('%');
            return percent < 0
                || (path[percent..].IndexOf("%2F", StringComparison.OrdinalIgnoreCase) < 0
                    && path[percent..].IndexOf("%5C", StringComparison.OrdinalIgnoreCase) < 0);
        }
    }
}
