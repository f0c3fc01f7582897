namespace Gateway.Cli;

/// <summary>Parsed <c>keys &lt;verb&gt; [positional] [--flag value] [--switch]</c> arguments.</summary>
internal sealed class CliArguments
{
    private static readonly HashSet<string> Switches = ["--json", "--disabled", "--help", "-h", "--yes", "--all"];
    private readonly Dictionary<string, List<string>> _flags = new(StringComparer.Ordinal);

    private CliArguments(string verb, List<string> positional)
    {
        Verb = verb;
        Positional = positional;
    }

    public string Verb { get; }

    public List<string> Positional { get; }

    public bool Has(string flag) => _flags.ContainsKey(flag);

    public string? Value(string flag) => _flags.TryGetValue(flag, out var values) ? values[^1] : null;

    public IReadOnlyList<string> Values(string flag) => _flags.TryGetValue(flag, out var values) ? values : [];

    public IEnumerable<string> Flags => _flags.Keys;

    /// <summary>Parses everything after <c>keys</c>; <c>--flag=value</c> and <c>--flag value</c> both work.</summary>
    public static CliArguments Parse(IReadOnlyList<string> args)
    {
        var verb = args.Count > 0 && !args[0].StartsWith('-') ? args[0] : "help";
        var parsed = new CliArguments(verb, []);
        for (var i = verb == "help" && (args.Count == 0 || args[0].StartsWith('-')) ? 0 : 1; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith('-'))
            {
                parsed.Positional.Add(arg);
                continue;
            }

            string name, value;
            var equals = arg.IndexOf('=');
            if (equals > 0)
            {
                (name, value) = (arg[..equals], arg[(equals + 1)..]);
            }
            else if (Switches.Contains(arg))
            {
                (name, value) = (arg, "true");
            }
            else if (i + 1 < args.Count)
            {
                (name, value) = (arg, args[++i]);
            }
            else
            {
                throw new CliException($"{arg} needs a value.", exitCode: 2);
            }

            if (!parsed._flags.TryGetValue(name, out var list))
            {
                parsed._flags[name] = list = [];
            }

            list.Add(value);
        }

        return parsed;
    }
}

/// <summary>A failure to report on stderr with an exit code: 1 for a refused call, 2 for bad usage.</summary>
internal sealed class CliException(string message, int exitCode = 1) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
