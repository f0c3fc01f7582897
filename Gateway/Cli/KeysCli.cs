using System.CommandLine;
using System.CommandLine.Invocation;
using System.Net.Http.Headers;
using System.Text.Json;
using Gateway.Configuration;
using Gateway.Hosting;

namespace Gateway.Cli;

/// <summary>
/// <c>Gateway keys &lt;verb&gt;</c>: a client of a running gateway's admin API, so every write takes the one path
/// that validates, invalidates caches and is counted. Admin URL and token come from flags, the environment, or
/// the same config file the gateway reads. The command line is parsed by System.CommandLine (<see cref="KeysCommandLine"/>);
/// exit codes: 0 done, 1 the API refused or could not be reached, 2 bad usage (nothing was sent).
/// </summary>
public static class KeysCli
{
    public const string Command = "keys";

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Response files (<c>@file</c>) are off: the hand-written parser had none, and a key name or file path that begins
    /// with <c>@</c> must stay what it is.
    /// </summary>
    internal static ParserConfiguration Parsing { get; } = new() { ResponseFileTokenReplacer = null };

    /// <summary>True when Program.cs should hand the whole command line to <see cref="RunCommandLineAsync"/>: <c>keys ...</c>,
    /// or a directive before it (<c>[suggest:N] "keys ..."</c>, which dotnet-suggest sends for shell completion).</summary>
    public static bool Handles(IReadOnlyList<string> args) =>
        args.Count > 0 && (args[0] == Command || (args[0].StartsWith('[') && args[0].EndsWith(']')));

    /// <summary>Runs <c>keys</c> with <paramref name="args"/>, the words after it.</summary>
    public static Task<int> RunAsync(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, HttpMessageHandler? handler = null) =>
        RunCommandLineAsync([Command, .. args], stdout, stderr, handler);

    /// <summary>Runs a whole command line: <c>keys ...</c>, or directives first (<c>[suggest:N]</c>).</summary>
    public static async Task<int> RunCommandLineAsync(IReadOnlyList<string> commandLine, TextWriter stdout, TextWriter stderr, HttpMessageHandler? handler = null)
    {
        var options = new KeysOptions();
        var root = KeysCommandLine.Build(options, (parse, verb) => RunVerbAsync(parse, options, verb, handler));
        var parse = root.Parse(commandLine, Parsing);
        // No default exception handler (a CliException is reported below with its own exit code) and no signal
        // handlers: the tests run the CLI inside the test process, whose Ctrl+C is not the CLI's to take.
        var invocation = new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null };
        try
        {
            if (parse.Action is ParseErrorAction)
            {
                await ReportUsageErrorAsync(root, parse, stderr).ConfigureAwait(false);
                return CliException.UsageError;
            }

            return await parse.InvokeAsync(invocation).ConfigureAwait(false);
        }
        catch (CliException ex)
        {
            await stderr.WriteLineAsync("error: " + ex.Message).ConfigureAwait(false);
            return ex.ExitCode;
        }
        catch (HttpRequestException ex)
        {
            await stderr.WriteLineAsync($"error: cannot reach the admin API ({ex.Message}). Is the gateway running? Check --url.").ConfigureAwait(false);
            return 1;
        }
        catch (TaskCanceledException ex) when (ex.InnerException is TimeoutException)
        {
            await stderr.WriteLineAsync($"error: the admin API did not answer within {Timeout.TotalSeconds:0} s. Is the gateway running? Check --url.").ConfigureAwait(false);
            return 1;
        }
        catch (JsonException)
        {
            await stderr.WriteLineAsync("error: the answer was not the admin API's JSON. Does --url name the gateway's admin listener?").ConfigureAwait(false);
            return 1;
        }
    }

    // The library's messages, one "error: " line each, then the help of the verb they are about; all on stderr, so a
    // script reading stdout sees nothing from a call that was never made.
    private static async Task ReportUsageErrorAsync(RootCommand root, ParseResult parse, TextWriter stderr)
    {
        foreach (var error in parse.Errors)
        {
            await stderr.WriteLineAsync("error: " + error.Message).ConfigureAwait(false);
        }

        await stderr.WriteLineAsync().ConfigureAwait(false);
        await root.Parse(KeysCommandLine.HelpFor(parse.CommandResult.Command), Parsing)
            .InvokeAsync(new InvocationConfiguration { Output = stderr, Error = stderr, ProcessTerminationTimeout = null }).ConfigureAwait(false);
    }

    private static async Task<int> RunVerbAsync(ParseResult parse, KeysOptions options, Func<KeysCommands, Task<int>> verb, HttpMessageHandler? handler)
    {
        using var client = CreateClient(parse.GetValue(options.Url), parse.GetValue(options.Token), handler);
        var output = new CliOutput(parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, parse.GetValue(options.Json));
        return await verb(new KeysCommands(client, output, parse, options)).ConfigureAwait(false);
    }

    private static HttpClient CreateClient(string? urlOption, string? tokenOption, HttpMessageHandler? handler)
    {
        var config = new ConfigurationBuilder();
        var file = ConfigFileLocator.Locate(Environment.GetEnvironmentVariable(ConfigFileLocator.EnvironmentVariable), Directory.GetCurrentDirectory(), AppContext.BaseDirectory);
        if (file is not null)
        {
            config.AddJsonFile(file, optional: true);
        }

        var settings = config.AddEnvironmentVariables().Build();
        var url = urlOption
            ?? Environment.GetEnvironmentVariable("GATEWAY_ADMIN_URL")
            ?? settings[$"Kestrel:Endpoints:{Listeners.AdminName}:Url"]
            ?? Listeners.DefaultAdminUrl;
        url = url.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal).Replace("://*", "://127.0.0.1", StringComparison.Ordinal).Replace("://+", "://127.0.0.1", StringComparison.Ordinal);
        var token = tokenOption ?? Environment.GetEnvironmentVariable("GATEWAY_ADMIN_TOKEN") ?? settings["Admin:Token"];
        if (string.IsNullOrWhiteSpace(token))
        {
            throw new CliException("no admin token: pass --token, or set GATEWAY_ADMIN_TOKEN or Admin__Token.", exitCode: CliException.UsageError);
        }

        // "localhost:8081" parses as an absolute URL with the scheme "localhost"; only http(s) can reach the API.
        if (!Uri.TryCreate(url, UriKind.Absolute, out var baseUri) || baseUri.Scheme is not ("http" or "https"))
        {
            throw new CliException($"'{url}' is not an http:// or https:// URL.", exitCode: CliException.UsageError);
        }

        var client = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        client.BaseAddress = baseUri;
        client.Timeout = Timeout;
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        // Names this client in the audit log.
        client.DefaultRequestHeaders.Add(Admin.AdminAudit.ClientHeader, "cli");
        return client;
    }
}
