using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Admin;
using Gateway.Configuration;

namespace Gateway.Cli;

/// <summary>
/// <c>Gateway keys admin-token [--name N] [--role admin|viewer]</c>: makes a new random admin token and prints it once,
/// with the config lines that hold only its SHA-256. Runs offline: it needs no gateway and no admin token.
/// </summary>
internal static class AdminTokenCommand
{
    public const string Verb = "admin-token";
    private static readonly string[] Flags = ["--name", "--role", "--json"];

    public static async Task<int> RunAsync(CliArguments cli, TextWriter stdout, TextWriter stderr)
    {
        if (cli.Flags.FirstOrDefault(f => !Flags.Contains(f)) is { } unknown)
        {
            throw new CliException($"{Verb} does not take {unknown}.\n{KeysCli.Usage}", exitCode: 2);
        }

        if (cli.Positional.Count > 0)
        {
            throw new CliException($"{Verb} takes no argument ('{cli.Positional[0]}').", exitCode: 2);
        }

        var role = cli.Value("--role") ?? AdminRoles.Admin;
        if (!AdminRoles.TryParse(role, out _))
        {
            throw new CliException($"--role must be {AdminRoles.Admin} or {AdminRoles.Viewer}, not '{role}'.", exitCode: 2);
        }

        var name = cli.Value("--name") ?? role;
        var token = AdminCredentials.NewToken();
        var sha256 = AdminCredentials.HashOf(token);
        // The same checks the gateway runs at start, so a line printed here is a line the gateway accepts.
        var options = new AdminOptions();
        options.Tokens[name] = new AdminCredentialOptions { Sha256 = sha256, Role = role };
        if (new AdminOptionsValidator().Validate(null, options) is { Failed: true } invalid)
        {
            throw new CliException(string.Join(" ", invalid.Failures ?? [invalid.FailureMessage]), exitCode: 2);
        }

        var section = new JsonObject
        {
            ["Admin"] = new JsonObject
            {
                ["Tokens"] = new JsonObject { [name] = new JsonObject { ["Sha256"] = sha256, ["Role"] = role } },
            },
        };
        if (cli.Has("--json"))
        {
            section["token"] = token;
            await stdout.WriteLineAsync(section.ToJsonString(new JsonSerializerOptions { WriteIndented = true })).ConfigureAwait(false);
            await stderr.WriteLineAsync("This is the only time the token is shown; the config holds only its SHA-256.").ConfigureAwait(false);
            return 0;
        }

        await stdout.WriteLineAsync($"token: {token}").ConfigureAwait(false);
        await stdout.WriteLineAsync().ConfigureAwait(false);
        await stdout.WriteLineAsync("In the config file (merge into its \"Admin\" section):").ConfigureAwait(false);
        await stdout.WriteLineAsync(section.ToJsonString(new JsonSerializerOptions { WriteIndented = true })).ConfigureAwait(false);
        await stdout.WriteLineAsync().ConfigureAwait(false);
        await stdout.WriteLineAsync("Or as environment variables:").ConfigureAwait(false);
        await stdout.WriteLineAsync($"Admin__Tokens__{name}__Sha256={sha256}").ConfigureAwait(false);
        await stdout.WriteLineAsync($"Admin__Tokens__{name}__Role={role}").ConfigureAwait(false);
        await stderr.WriteLineAsync("This is the only time the token is shown; store it now. The config holds only its SHA-256.").ConfigureAwait(false);
        return 0;
    }
}
