using System.CommandLine;
using System.CommandLine.Parsing;

namespace Gateway.Cli;

/// <summary>
/// The options and arguments of the <c>keys</c> verbs, made once per run (a symbol remembers the commands it was added
/// to). What the library can check is checked while parsing, so a bad value is a usage error (exit 2) before anything is
/// sent; numbers the admin API bounds (<c>--limit</c>, <c>--days</c>, rate-limit sizes) go to it as given, and its 400 names
/// the field (exit 1).
/// </summary>
internal sealed class KeysOptions
{
    private static readonly string[] Levels = ["none", "read", "readwrite"];

    public KeysOptions()
    {
        Preset.AcceptOnlyFromAmong("all", "readonly", "restricted");
        GraphQL.AcceptOnlyFromAmong(Levels);
        Endpoints.AcceptOnlyFromAmong(Levels);
        LegacyGraphQL.AcceptOnlyFromAmong("read", "readwrite");
        AllowIp.Validators.Add(result =>
        {
            // A misread "none" beside addresses would silently keep or drop the restriction: refuse the mix.
            if (result.Tokens.Count > 1 && result.Tokens.Any(t => t.Value == "none"))
            {
                result.AddError("--allow-ip none clears the list and cannot be combined with addresses.");
            }
        });
        Batch.Validators.Add(result =>
        {
            // A value that is not a number is the library's own error; this one is for numbers out of range.
            if (result.Tokens is [var token] && int.TryParse(token.Value, out var size) && size is < 1 or > 10_000)
            {
                result.AddError("--batch must be a whole number from 1 to 10000.");
            }
        });
        LegacyFile.Validators.Add(result => RequireFile(result, allowStdin: false));
        RevokeFile.Validators.Add(result => RequireFile(result, allowStdin: true));
    }

    public Option<string> Url { get; } = new("--url")
    {
        Description = "The gateway's admin URL; else GATEWAY_ADMIN_URL, else Kestrel:Endpoints:Admin:Url, else http://127.0.0.1:8081",
        HelpName = "URL",
    };

    public Option<string> Token { get; } = new("--token")
    {
        Description = "An admin token; else GATEWAY_ADMIN_TOKEN, else Admin:Token (Admin__Token)",
        HelpName = "TOKEN",
    };

    public Option<bool> Json { get; } = new("--json") { Description = "Print the admin API's own JSON instead of a table" };

    public Argument<string> Id { get; } = new("ID") { Description = "The key's id" };

    public Option<string> CreateName { get; } = new("--name") { Description = "The key's name", HelpName = "NAME", Required = true };

    public Option<string> NewName { get; } = new("--name") { Description = "A new name", HelpName = "NAME" };

    public Option<string> Preset { get; } = new("--preset") { Description = "all: readwrite everywhere; readonly: read everywhere; restricted: as the other options say" };

    public Option<string> GraphQL { get; } = new("--graphql") { Description = "The GraphQL level" };

    public Option<string> Endpoints { get; } = new("--endpoints") { Description = "The level for every endpoint (\"*\")" };

    public Option<KeyValuePair<string, string>[]> Endpoint { get; } = new("--endpoint")
    {
        Description = "One endpoint's level; may be repeated",
        HelpName = "ID=LEVEL",
        CustomParser = ParseEndpoints,
    };

    public Option<string> Expires { get; } = new("--expires") { Description = "When the key stops working (ISO 8601; on update, never removes it)", HelpName = "ISO-8601|never" };

    public Option<bool> Disabled { get; } = new("--disabled") { Description = "Create the key disabled" };

    public Option<RateLimitValue[]> RateLimit { get; } = new("--rate-limit")
    {
        Description = "A limit, UNIT s, m, h or d (100/1s, 5000/1h); one per window, up to 3; on update replaces the key's limits, none removes them",
        HelpName = "REQUESTS/[N]UNIT|none",
        CustomParser = ParseRateLimits,
    };

    public Option<string[]> AllowIp { get; } = new("--allow-ip")
    {
        Description = "An address or CIDR block the key may be used from; may be repeated; none removes the restriction",
        HelpName = "ADDR_OR_CIDR|none",
    };

    public Option<string> Query { get; } = new("--query") { Description = "Keep keys whose name or prefix contains TEXT (any case)", HelpName = "TEXT" };

    public Option<string> Limit { get; } = new("--limit") { Description = "Keys per page (default 100, at most 1000)", HelpName = "N" };

    public Option<bool> All { get; } = new("--all") { Description = "Follow every page to the end" };

    public Option<bool> Yes { get; } = new("--yes") { Description = "Accepted for scripts; delete never asks" };

    public Option<string> Days { get; } = new("--days") { Description = "How many days back (default 30)", HelpName = "N" };

    public Argument<string> LegacyFile { get; } = new("FILE") { Description = "One key per line, or CSV lines \"key,name[,graphql]\"; '#' starts a comment" };

    public Option<string> LegacyGraphQL { get; } = new("--graphql") { Description = "The GraphQL level of lines that do not give one" };

    public Option<int> Batch { get; } = new("--batch") { Description = "Keys per admin call (1 to 10000)", HelpName = "N", DefaultValueFactory = _ => 500 };

    public Argument<string> RevokeFile { get; } = new("FILE") { Description = "Leaked plaintexts, one per line; '-' reads standard input" };

    public Option<long> Grace { get; } = new("--grace")
    {
        Description = "How long the old key keeps working: seconds, or with s, m, h or d (24h, 7d; at most 7d); default 0, it stops now",
        HelpName = "DURATION",
        CustomParser = ParseGrace,
    };

    /// <summary>The options of create and update that set what a key may do and from where.</summary>
    public IEnumerable<Option> ScopeOptions => [Preset, GraphQL, Endpoints, Endpoint, Expires, RateLimit, AllowIp];

    private static void RequireFile(ArgumentResult result, bool allowStdin)
    {
        if (result.Tokens is [{ Value: var path }] && !(allowStdin && path == "-") && !File.Exists(path))
        {
            result.AddError($"no file '{path}'.");
        }
    }

    private static KeyValuePair<string, string>[] ParseEndpoints(ArgumentResult result)
    {
        var entries = new List<KeyValuePair<string, string>>();
        foreach (var token in result.Tokens)
        {
            var equals = token.Value.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                result.AddError($"--endpoint takes ID=LEVEL, not '{token.Value}'.");
                return [];
            }

            var level = token.Value[(equals + 1)..];
            if (!Levels.Contains(level))
            {
                result.AddError($"--endpoint: '{level}' is not a level (none, read, readwrite).");
                return [];
            }

            entries.Add(new(token.Value[..equals], level));
        }

        return [.. entries];
    }

    // "none" alone is an empty list (no limits); beside a limit it is ambiguous and refused.
    private static RateLimitValue[] ParseRateLimits(ArgumentResult result)
    {
        if (result.Tokens is [{ Value: "none" }])
        {
            return [];
        }

        var limits = new List<RateLimitValue>();
        foreach (var token in result.Tokens)
        {
            if (!RateLimitFlag.TryParse(token.Value, out var limit))
            {
                result.AddError(RateLimitFlag.Invalid(token.Value));
                return [];
            }

            limits.Add(limit);
        }

        return [.. limits];
    }

    private static long ParseGrace(ArgumentResult result)
    {
        if (result.Tokens is not [var token])
        {
            return 0;
        }

        if (!KeysCommands.TryGraceSeconds(token.Value, out var seconds))
        {
            result.AddError(KeysCommands.InvalidGrace(token.Value));
        }

        return seconds;
    }
}
