using System.CommandLine;

namespace Gateway.Cli;

/// <summary>
/// The command tree of <c>Gateway keys</c> on System.CommandLine: every verb with its own options, so parsing, per-verb
/// <c>--help</c>, validation messages and shell completion (<c>[suggest]</c>) come from the library.
/// </summary>
internal static class KeysCommandLine
{
    public const string Executable = "Gateway";

    /// <summary>Builds the tree; <paramref name="run"/> runs a verb that calls the admin API (it makes the client).</summary>
    public static RootCommand Build(KeysOptions o, Func<ParseResult, Func<KeysCommands, Task<int>>, Task<int>> run)
    {
        var create = Remote(With(new Command("create", "Create a key; its plaintext is printed once") { o.CreateName }, o.ScopeOptions, o.Disabled), o, run, c => c.CreateAsync());
        var update = Remote(With(new Command("update", "Change a key's name, scopes, expiry, rate limits or addresses") { o.Id, o.NewName }, o.ScopeOptions), o, run, c => c.UpdateAsync());
        update.Validators.Add(result =>
        {
            // "--preset restricted" alone changes nothing, so it does not count as a change.
            var changes = new[] { o.NewName }.Concat(o.ScopeOptions)
                .Where(option => result.GetResult(option) is { } given && !(option == o.Preset && given.Tokens is [{ Value: "restricted" }]));
            if (!changes.Any())
            {
                result.AddError("update needs at least one of --name, --graphql, --endpoints, --endpoint, --expires, --rate-limit, --allow-ip.");
            }
        });

        var keys = new Command(KeysCli.Command, "Manage the keys of a running gateway through its admin API (GATEWAY_ADMIN_URL, GATEWAY_ADMIN_TOKEN)")
        {
            create,
            update,
            Remote(new Command("list", "List keys, newest first: one page, or every page with --all") { o.Query, o.Limit, o.All }, o, run, c => c.ListAsync()),
            Remote(new Command("show", "Show one key") { o.Id }, o, run, c => c.ShowAsync()),
            Remote(new Command("enable", "Enable a key") { o.Id }, o, run, c => c.SetEnabledAsync(true)),
            Remote(new Command("disable", "Disable a key; it is refused everywhere within a second") { o.Id }, o, run, c => c.SetEnabledAsync(false)),
            Remote(new Command("delete", "Delete a key") { o.Id, o.Yes }, o, run, c => c.DeleteAsync()),
            Remote(new Command("import-legacy", "Import legacy keys from a file, in batches, all checked before any is sent")
            {
                o.LegacyFile, o.LegacyGraphQL, o.Batch,
            }, o, run, c => c.ImportLegacyAsync()),
            Remote(new Command("usage", "A key's allowed and denied requests per day and target") { o.Id, o.Days }, o, run, c => c.UsageAsync()),
            Remote(new Command("revoke", "Disable every key listed in FILE (leaked plaintexts, never printed)") { o.RevokeFile }, o, run, c => c.RevokeAsync()),
            Remote(new Command("roll", "A new key with ID's settings (printed once); ID keeps working for the grace") { o.Id, o.Grace }, o, run, c => c.RollAsync()),
            AdminTokenCommand.Create(),
        };

        // Help names the program as it is run (dotnet Gateway.dll, the Gateway apphost), not the host of a test.
        var root = new RootCommand("The scoped-key gateway") { keys };
        root.HelpName = Executable;
        keys.Add(HelpVerb(root, keys));
        return root;
    }

    /// <summary>The command path of <paramref name="command"/> with <c>--help</c>: what shows its help.</summary>
    public static string[] HelpFor(Command command)
    {
        var path = new List<string> { "--help" };
        for (Symbol? symbol = command; symbol is Command named and not RootCommand; symbol = symbol.Parents.FirstOrDefault())
        {
            path.Insert(0, named.Name);
        }

        return [.. path];
    }

    // The admin URL, token and --json belong to every verb that calls the admin API, not to admin-token (offline).
    private static Command Remote(Command verb, KeysOptions o, Func<ParseResult, Func<KeysCommands, Task<int>>, Task<int>> run, Func<KeysCommands, Task<int>> call)
    {
        verb.Add(o.Url);
        verb.Add(o.Token);
        verb.Add(o.Json);
        verb.SetAction((parse, _) => run(parse, call));
        return verb;
    }

    private static Command With(Command verb, IEnumerable<Option> options, params Option[] more)
    {
        foreach (var option in options.Concat(more))
        {
            verb.Add(option);
        }

        return verb;
    }

    // "keys help [VERB]", kept from the hand-written CLI: the library's help for keys, or for that verb.
    private static Command HelpVerb(RootCommand root, Command keys)
    {
        var verb = new Argument<string?>("VERB") { Arity = ArgumentArity.ZeroOrOne };
        verb.AcceptOnlyFromAmong([.. keys.Subcommands.Select(c => c.Name)]);
        var help = new Command("help", "Show help for keys or one of its verbs") { verb };
        help.Hidden = true;
        help.SetAction((parse, cancellation) =>
        {
            var path = parse.GetValue(verb) is { } name ? [KeysCli.Command, name, "--help"] : new[] { KeysCli.Command, "--help" };
            return root.Parse(path, KeysCli.Parsing).InvokeAsync(parse.InvocationConfiguration, cancellation);
        });
        return help;
    }
}
