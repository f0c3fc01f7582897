using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Configuration;
using Gateway.Hosting;

namespace Gateway.Cli;

/// <summary>
/// <c>Gateway keys &lt;verb&gt;</c>: a client of a running gateway's admin API, so every write takes the one path
/// that validates, invalidates caches and is counted. Admin URL and token come from flags, the environment, or
/// the same config file the gateway reads.
/// </summary>
public static class KeysCli
{
    public const string Command = "keys";

    public const string Usage = """
        usage: Gateway keys <verb> [arguments] [--url URL] [--token TOKEN] [--json]

          create --name NAME [--preset all|readonly] [--graphql LEVEL] [--endpoints LEVEL]
                 [--endpoint ID=LEVEL ...] [--expires ISO-8601] [--disabled] [--rate-limit N/UNIT ...]
                 [--allow-ip ADDR_OR_CIDR ...]
          update ID [--name NAME] [--graphql LEVEL] [--endpoints LEVEL] [--endpoint ID=LEVEL ...] [--expires ISO-8601|never]
                 [--rate-limit N/UNIT ...|none] [--allow-ip ADDR_OR_CIDR ...|none]
          list [--query TEXT] [--limit N] [--all]
                 one page of N keys (default 100, at most 1000), newest first; --query keeps keys whose name or
                 prefix contains TEXT (any case); --all follows every page to the end
          show ID | enable ID | disable ID | delete ID
          import-legacy FILE [--graphql read|readwrite] [--batch N]
                 FILE: one key per line, or CSV lines "key,name[,graphql]"; '#' starts a comment
          usage ID [--days N]
          revoke FILE    disable every key listed (leaked plaintexts, one per line; '-' reads standard input)
          roll ID [--grace DURATION]
                 a new key with ID's settings (printed once); ID keeps working for DURATION (default 0: stops now),
                 in seconds or with s, m, h or d (24h, 7d; at most 7d)
          admin-token [--name NAME] [--role admin|viewer]
                 print a new random admin token once, and the config lines (its SHA-256 and role) for
                 Admin:Tokens:NAME; needs no gateway. NAME defaults to the role, the role to admin

          LEVEL is none, read or readwrite. --endpoints sets the level for every endpoint ("*");
          --endpoint sets one endpoint and may be repeated.
          --rate-limit REQUESTS/[N]UNIT (UNIT s, m, h or d: 100/1s, 5000/1h) may be repeated, one per window (up to 3);
          on update it replaces the key's limits, and "none" removes them.
          URL:   --url, else GATEWAY_ADMIN_URL, else Kestrel:Endpoints:Admin:Url, else http://127.0.0.1:8081
          TOKEN: --token, else GATEWAY_ADMIN_TOKEN, else Admin:Token (Admin__Token)
        """;

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, HttpMessageHandler? handler = null)
    {
        try
        {
            var cli = CliArguments.Parse(args);
            if (cli.Verb == "help" || cli.Has("--help") || cli.Has("-h"))
            {
                await stdout.WriteLineAsync(Usage).ConfigureAwait(false);
                // Asked for help: success. Gave no verb at all: a usage error.
                return args.Count == 0 ? 2 : 0;
            }

            if (cli.Verb == AdminTokenCommand.Verb)
            {
                return await AdminTokenCommand.RunAsync(cli, stdout, stderr).ConfigureAwait(false);
            }

            using var client = CreateClient(cli, handler);
            var output = new CliOutput(stdout, stderr, cli.Has("--json"));
            return await new KeysCommands(client, output, cli).RunAsync().ConfigureAwait(false);
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

    private static HttpClient CreateClient(CliArguments cli, HttpMessageHandler? handler)
    {
        var config = new ConfigurationBuilder();
        var file = ConfigFileLocator.Locate(Environment.GetEnvironmentVariable(ConfigFileLocator.EnvironmentVariable), Directory.GetCurrentDirectory(), AppContext.BaseDirectory);
        if (file is not null)
        {
            config.AddJsonFile(file, optional: true);
        }

        var settings = config.AddEnvironmentVariables().Build();
        var url = cli.Value("--url")
            ?? Environment.GetEnvironmentVariable("GATEWAY_ADMIN_URL")
            ?? settings[$"Kestrel:Endpoints:{Listeners.AdminName}:Url"]
            ?? Listeners.DefaultAdminUrl;
        url = url.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal).Replace("://*", "://127.0.0.1", StringComparison.Ordinal).Replace("://+", "://127.0.0.1", StringComparison.Ordinal);
        var token = cli.Value("--token") ?? Environment.GetEnvironmentVariable("GATEWAY_ADMIN_TOKEN") ?? settings["Admin:Token"];
        if (string.IsNullOrWhiteSpace(token))
        {
            throw new CliException("no admin token: pass --token, or set GATEWAY_ADMIN_TOKEN or Admin__Token.", exitCode: 2);
        }

        // "localhost:8081" parses as an absolute URL with the scheme "localhost"; only http(s) can reach the API.
        if (!Uri.TryCreate(url, UriKind.Absolute, out var baseUri) || baseUri.Scheme is not ("http" or "https"))
        {
            throw new CliException($"'{url}' is not an http:// or https:// URL.", exitCode: 2);
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

/// <summary>Readable tables by default, the API's own JSON with <c>--json</c>; errors on stderr.</summary>
internal sealed class CliOutput(TextWriter stdout, TextWriter stderr, bool json)
{
    public bool Json => json;

    public TextWriter Out => stdout;

    public TextWriter Err => stderr;

    /// <summary>An answer's JSON as the gateway sent it (members this CLI does not know included), indented.</summary>
    public Task WriteJsonAsync(string text) => WriteJsonAsync(JsonNode.Parse(text)!);

    public Task WriteJsonAsync(JsonNode node) =>
        stdout.WriteLineAsync(node.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

    public async Task WriteTableAsync(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        var all = rows.ToList();
        var widths = headers.Select((h, i) => Math.Max(h.Length, all.Count == 0 ? 0 : all.Max(r => r[i].Length))).ToArray();
        var line = new StringBuilder();
        void Append(IReadOnlyList<string> cells)
        {
            line.Clear();
            for (var i = 0; i < cells.Count; i++)
            {
                line.Append(i == cells.Count - 1 ? cells[i] : cells[i].PadRight(widths[i] + 2));
            }
        }

        Append(headers);
        await stdout.WriteLineAsync(line.ToString().TrimEnd()).ConfigureAwait(false);
        foreach (var row in all)
        {
            Append(row);
            await stdout.WriteLineAsync(line.ToString().TrimEnd()).ConfigureAwait(false);
        }
    }
}
