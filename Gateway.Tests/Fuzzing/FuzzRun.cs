using System.Diagnostics;
using System.Globalization;
using CsCheck;
using Xunit.Abstractions;

namespace Gateway.Tests.Fuzzing;

/// <summary>
/// Runs a property over generated cases, deterministically: case <c>i</c> comes from a CsCheck <see cref="PCG"/>
/// seeded with the run's seed and stream <c>i</c>, so a CI run always tries the same cases. A failure names the
/// case's CsCheck seed and, for pure properties, lets CsCheck shrink it to a simpler failing case.
/// <para>
/// <c>GATEWAY_FUZZ_ITERATIONS=N</c> multiplies every property's case count by N (a long local run);
/// <c>GATEWAY_FUZZ_SEED=hex</c> explores other cases; <c>GATEWAY_FUZZ_REPLAY=caseSeed</c> runs only the printed case
/// (filter the run to the failing test).
/// </para>
/// </summary>
public static class FuzzRun
{
    public const string IterationsVariable = "GATEWAY_FUZZ_ITERATIONS";
    public const string SeedVariable = "GATEWAY_FUZZ_SEED";
    public const string ReplayVariable = "GATEWAY_FUZZ_REPLAY";
    private const ulong DefaultSeed = 0x2026_1127_F022_5EEDUL;
    private const int MaxPrinted = 3_000;

    public static ulong Seed { get; } = ulong.TryParse(
        Environment.GetEnvironmentVariable(SeedVariable), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var seed) ? seed : DefaultSeed;

    /// <summary>The one case seed to run instead of the generated cases, when replaying a failure.</summary>
    public static string? ReplaySeed { get; } = Environment.GetEnvironmentVariable(ReplayVariable) is { Length: > 0 } replay ? replay : null;

    public static int Multiplier { get; } = int.TryParse(Environment.GetEnvironmentVariable(IterationsVariable), out var n) && n > 0 ? n : 1;

    /// <summary>The number of cases a property runs: its CI count times <see cref="Multiplier"/>.</summary>
    public static int Cases(int ciCases) => ReplaySeed is null ? checked(ciCases * Multiplier) : 1;

    /// <summary>Checks a pure property on <see cref="Cases"/> cases; on a failure, shrinks with CsCheck and throws both.</summary>
    public static void Check<T>(ITestOutputHelper output, string property, int ciCases, Gen<T> gen, Action<T> assert, Func<T, string> print) =>
        Check(output, property, ciCases, gen, value =>
        {
            assert(value);
            return null;
        }, print);

    /// <summary>
    /// As <see cref="Check{T}(ITestOutputHelper, string, int, Gen{T}, Action{T}, Func{T, string})"/>, with
    /// <paramref name="assert"/> naming the kind of each case, so the output shows how often each kind came up
    /// (a property whose interesting kind never came up proves nothing).
    /// </summary>
    public static void Check<T>(ITestOutputHelper output, string property, int ciCases, Gen<T> gen, Func<T, string?> assert, Func<T, string> print)
    {
        var cases = Cases(ciCases);
        var kinds = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < cases; i++)
        {
            var (pcg, state) = CaseRandom(property, i);
            var value = gen.Generate(pcg, null, out _);
            try
            {
                if (assert(value) is { } kind)
                {
                    kinds[kind] = kinds.GetValueOrDefault(kind) + 1;
                }
            }
            catch (Exception e)
            {
                var seed = pcg.ToString(state);
                throw new FuzzFailure(Describe(property, i, cases, seed, print(value)) + Shrink(gen, v => assert(v), print, seed), e);
            }
        }

        output.WriteLine($"{property}: {cases} generated cases passed in {clock.ElapsedMilliseconds} ms (run seed {Seed:X16})"
            + (kinds.Count == 0 ? "" : "; " + string.Join(", ", kinds.Select(k => $"{k.Key}: {k.Value}"))));
    }

    /// <summary>Checks a property that needs I/O (a real gateway), one case after another; failures name the case's seed.</summary>
    public static async Task CheckAsync<T>(ITestOutputHelper output, string property, int ciCases, Gen<T> gen, Func<T, Task> assert, Func<T, string> print)
    {
        var cases = Cases(ciCases);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < cases; i++)
        {
            var (pcg, state) = CaseRandom(property, i);
            var value = gen.Generate(pcg, null, out _);
            try
            {
                await assert(value);
            }
            catch (Exception e)
            {
                throw new FuzzFailure(Describe(property, i, cases, pcg.ToString(state), print(value)), e);
            }
        }

        output.WriteLine($"{property}: {cases} generated cases passed in {clock.ElapsedMilliseconds} ms (run seed {Seed:X16})");
    }

    /// <summary>Generates the value of one printed seed again, for a test that reproduces a failure by hand.</summary>
    public static T Replay<T>(Gen<T> gen, string seed) => gen.Generate(PCG.Parse(seed), null, out _);

    private static (PCG Pcg, ulong State) CaseRandom(string property, int index)
    {
        if (ReplaySeed is { } replay)
        {
            var replayed = PCG.Parse(replay);
            return (replayed, replayed.State);
        }

        // Each property has its own stream family, so adding a property never changes another's cases.
        var pcg = new PCG((uint)index, Seed ^ StableHash(property));
        return (pcg, pcg.State);
    }

    private static ulong StableHash(string text)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in text)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        return hash;
    }

    private static string Describe(string property, int index, int cases, string seed, string printed) =>
        $"{property} failed on generated case {index + 1} of {cases} (run seed {Seed:X16}; case seed \"{seed}\", "
        + $"replay it alone with {ReplayVariable}={seed}).\nCase: {Cut(printed)}\n";

    private static string Shrink<T>(Gen<T> gen, Action<T> assert, Func<T, string> print, string seed)
    {
        try
        {
            // CsCheck starts from the failing seed and keeps what fails and is smaller; bounded so a failure
            // report does not take minutes.
            gen.Sample(assert, seed: seed, iter: 5_000, threads: 1, print: value => Cut(print(value)));
            return "CsCheck could not shrink it (the case may depend on more than its value).";
        }
        catch (CsCheckException shrunk)
        {
            return "Shrunk by CsCheck: " + shrunk.Message;
        }
    }

    private static string Cut(string text) => text.Length <= MaxPrinted ? text : text[..MaxPrinted] + $"... ({text.Length} chars)";
}

/// <summary>A generated case broke a property; the message says how to replay it.</summary>
public sealed class FuzzFailure(string message, Exception inner) : Exception(message, inner);
