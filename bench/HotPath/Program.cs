using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace HotPath;

/// <summary>
/// <c>dotnet run -c Release --project bench/HotPath</c> runs every benchmark with a short job (below).
/// <c>-- --job dry</c> (or <c>-- --smoke</c>) runs each once, in this process, to check that they still work.
/// Any other BenchmarkDotNet option (<c>--filter</c>, <c>--job short</c>, ...) is passed through.
/// </summary>
public static class Program
{
    public static void Main(string[] args)
    {
        if (args is ["--footprint", ..])
        {
            Footprint(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 5);
            return;
        }

        if (args is ["--usage-footprint", ..])
        {
            UsageFootprint.Run(
                args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 5,
                args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 10);
            return;
        }

        var arguments = args.SelectMany(Normalize).ToList();
        if (!arguments.Any(a => a.StartsWith("--filter", StringComparison.Ordinal) || a == "-f"))
        {
            // Without a filter the switcher asks on stdin which benchmark to run.
            arguments.AddRange(["--filter", "*"]);
        }

        // On a shared, busy machine the minimum is the best estimate of the code's own cost; the mean shows the noise.
        var baseConfig = DefaultConfig.Instance.AddColumn(StatisticColumn.Median, StatisticColumn.Min);
        IConfig config;
        var job = arguments.FindIndex(a => a is "--job" or "-j");
        if (job >= 0 && job + 1 < arguments.Count && arguments[job + 1].Equals("dry", StringComparison.OrdinalIgnoreCase))
        {
            // The smoke run: BenchmarkDotNet's dry job, in process. Out of process it would rebuild the gateway in a
            // generated project (about 40 s here) and start one process per benchmark; in process it stays well
            // under two minutes and still runs every setup, benchmark and cleanup once.
            arguments.RemoveRange(job, 2);
            config = baseConfig.AddJob(Job.Dry.WithToolchain(InProcessEmitToolchain.Instance));
        }
        else
        {
            // A job named on the command line replaces the default one here instead of running beside it.
            config = job >= 0 ? baseConfig : baseConfig.AddJob(ShortJob);
        }

        // The footprint benchmark writes 100,000 records and fills L1 with them: too long for the smoke and the default
        // run, so it runs only when a filter names it (or with --footprint above).
        var types = typeof(Program).Assembly.GetTypes()
            .Where(t => t.GetMethods().Any(m => m.IsDefined(typeof(BenchmarkDotNet.Attributes.BenchmarkAttribute), false)))
            .Where(t => t != typeof(L1FootprintBenchmarks) || arguments.Any(a => a.Contains("Footprint", StringComparison.Ordinal)))
            .ToArray();
        var summaries = BenchmarkSwitcher.FromTypes(types).Run([.. arguments], config);
        // A benchmark that threw (a failed setup, a refused request) must fail the command, for CI and scripts.
        Environment.ExitCode = summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }

    /// <summary>
    /// <c>-- --footprint [rounds]</c>: <see cref="L1FootprintBenchmarks"/> in this process, without BenchmarkDotNet's
    /// timing: per round, bytes retained and allocated per key for 100,000 keys filled into an empty L1.
    /// </summary>
    private static void Footprint(int rounds)
    {
        var bench = new L1FootprintBenchmarks();
        bench.Setup();
        var allocated = new List<double>();
        for (var round = 0; round < rounds; round++)
        {
            bench.StartEmpty();
            var before = GC.GetTotalAllocatedBytes(precise: true);
            bench.FillL1();
            allocated.Add((double)(GC.GetTotalAllocatedBytes(precise: true) - before) / L1FootprintBenchmarks.Keys);
            bench.Measure();
            Console.WriteLine(FormattableString.Invariant(
                $"round {round + 1}: retained {bench.RetainedPerKey[^1]:F0} B/key, allocated {allocated[^1]:F0} B/key"));
        }

        Console.WriteLine(FormattableString.Invariant(
            $"median of {rounds}: retained {Median(bench.RetainedPerKey):F0} B/key, allocated {Median(allocated):F0} B/key while filling"));
        bench.Cleanup();
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }

    // Fewer iterations than BenchmarkDotNet's default job so a full run takes a few minutes on two cores.
    private static Job ShortJob { get; } = Job.Default
        .WithLaunchCount(1)
        .WithWarmupCount(5)
        .WithIterationCount(15)
        .WithId("Short");

    private static IEnumerable<string> Normalize(string argument) => argument switch
    {
        "--smoke" => ["--job", "dry"],
        _ when argument.StartsWith("--job=", StringComparison.Ordinal) => ["--job", argument["--job=".Length..]],
        _ => [argument],
    };
}
