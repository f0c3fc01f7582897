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

        var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run([.. arguments], config);
        // A benchmark that threw (a failed setup, a refused request) must fail the command, for CI and scripts.
        Environment.ExitCode = summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
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
