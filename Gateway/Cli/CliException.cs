namespace Gateway.Cli;

/// <summary>
/// A failure found after parsing (a refused admin call, a bad line in a file) to report on stderr with an exit code:
/// 1 for a refused call, 2 for bad usage. Parse errors are System.CommandLine's and are reported by <see cref="KeysCli"/>.
/// </summary>
internal sealed class CliException(string message, int exitCode = 1) : Exception(message)
{
    public const int UsageError = 2;

    public int ExitCode { get; } = exitCode;
}
