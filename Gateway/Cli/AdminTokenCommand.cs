using System.CommandLine;
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

    public static Command Create()
    {
        var role = new Option<string>("--role") { Description = "What the token may do: admin, or viewer (read only)", DefaultValueFactory = _ => AdminRoles.Admin };
        role.AcceptOnlyFromAmong(AdminRoles.Admin, AdminRoles.Viewer);
        var name = new Option<string>("--name") { Description = "The credential's name in Admin:Tokens and the audit log (default: the role)", HelpName = "NAME" };
        var json = new Option<bool>("--json") { Description = "Print the token and config section as JSON" };
        var command = new Command(Verb, "Print a new random admin token once, with the config lines (its SHA-256 and role) for Admin:Tokens:NAME; needs no gateway")
        {
            name, role, json,
        };
        command.SetAction((parse, _) => RunAsync(parse.GetValue(name), parse.GetRequiredValue(role), parse.GetValue(json), parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error));
        return command;
    }

    private static async Task<int> RunAsync(string? givenName, string role, bool json, TextWriter stdout, TextWriter stderr)
    {
        var name = givenName ?? role;
        var token = AdminCredentials.NewToken();
        var sha256 = AdminCredentials.HashOf(token);
        // The same checks the gateway runs at start, so a line printed here is a line the gateway accepts.
        var options = new AdminOptions();
        options.Tokens[name] = new AdminCredentialOptions { Sha256 = sha256, Role = role };
        if (new AdminOptionsValidator().Validate(null, options) is { Failed: true } invalid)
        {
            throw new CliException(string.Join(" ", invalid.Failures ?? [invalid.FailureMessage]), exitCode: CliException.UsageError);
        }

        var section = new JsonObject
        {
            ["Admin"] = new JsonObject
            {
                ["Tokens"] = new JsonObject { [name] = new JsonObject { ["Sha256"] = sha256, ["Role"] = role } },
            },
        };
        if (json)
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
