using System.Net;
using Gateway.Cli;

namespace Gateway.Tests.Cli;

/// <summary>
/// What System.CommandLine gives the CLI: per-verb <c>--help</c>, its parse errors as usage errors (exit 2, the message on
/// stderr, nothing on stdout, no admin call made), and completions through the <c>[suggest]</c> directive. A handler
/// stands in for the admin API and records every call, so "nothing was sent" is seen, not assumed.
/// </summary>
public sealed class KeysCliCommandLineTests
{
    private static readonly string[] Verbs =
        ["create", "update", "list", "show", "enable", "disable", "delete", "import-legacy", "usage", "revoke", "roll", "admin-token"];

    private readonly List<string> _sent = [];

    [Theory]
    [InlineData("create", "--name", "--preset", "--graphql", "--endpoints", "--endpoint", "--expires", "--disabled", "--rate-limit", "--allow-ip", "--url", "--token", "--json")]
    [InlineData("update", "<ID>", "--name", "--preset", "--graphql", "--endpoints", "--endpoint", "--expires", "--rate-limit", "--allow-ip", "--url", "--token", "--json")]
    [InlineData("list", "--query", "--limit", "--all", "--url", "--token", "--json")]
    [InlineData("show", "<ID>", "--url", "--token", "--json")]
    [InlineData("enable", "<ID>", "--url", "--token")]
    [InlineData("disable", "<ID>", "--url", "--token")]
    [InlineData("delete", "<ID>", "--yes", "--url", "--token")]
    [InlineData("import-legacy", "<FILE>", "--graphql", "--batch", "--url", "--token")]
    [InlineData("usage", "<ID>", "--days", "--url", "--token")]
    [InlineData("revoke", "<FILE>", "--url", "--token", "--json")]
    [InlineData("roll", "<ID>", "--grace", "--url", "--token", "--json")]
    [InlineData("admin-token", "--name", "--role", "--json")]
    public async Task VerbHelp_Exit0_ListsTheVerbsOptions(string verb, params string[] expected)
    {
        foreach (var ask in new[] { new[] { verb, "--help" }, [verb, "-h"], ["help", verb] })
        {
            var run = await RunAsync(ask);

            Assert.True(run.Exit == 0, run.ToString());
            Assert.Equal("", run.Err);
            Assert.Contains($"Gateway keys {verb}", run.Out, StringComparison.Ordinal);
            Assert.All(expected, option => Assert.Contains(option, run.Out, StringComparison.Ordinal));
        }

        Assert.Empty(_sent);
    }

    [Fact]
    public async Task AdminTokenHelp_DoesNotOfferTheAdminUrl()
    {
        var run = await RunAsync("admin-token", "--help");

        Assert.DoesNotContain("--url", run.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("--token", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KeysHelp_ListsEveryVerb_AndHidesTheHelpVerb()
    {
        var run = await RunAsync("--help");

        Assert.True(run.Exit == 0, run.ToString());
        Assert.All(Verbs, verb => Assert.Contains("\n  " + verb, run.Out, StringComparison.Ordinal));
        Assert.DoesNotContain("\n  help", run.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Unrecognized command or argument '--graec'.", "roll", "some-id", "--graec", "1h")]
    [InlineData("Unrecognized command or argument '--url'.", "admin-token", "--url", "http://127.0.0.1:1/")]
    [InlineData("Required argument missing for option: '--grace'.", "roll", "some-id", "--grace")]
    [InlineData("Option '--name' is required.", "create", "--graphql", "read")]
    [InlineData("Required argument 'ID' missing for command: 'show'.", "show")]
    [InlineData("Argument 'write' not recognized. Must be one of:", "create", "--name", "x", "--graphql", "write")]
    [InlineData("Cannot parse argument 'many' for option '--batch'", "import-legacy", "-", "--batch", "many")]
    [InlineData("--rate-limit takes REQUESTS/[N]UNIT", "update", "some-id", "--rate-limit", "10/1w")]
    [InlineData("update needs at least one of", "update", "some-id", "--preset", "restricted")]
    [InlineData("Option '--name' expects a single argument but 2 were provided.", "create", "--name", "x", "--name", "y")]
    public async Task ParseError_Exit2_TheLibrarysMessageOnStderr_NothingSent(string message, params string[] args)
    {
        var run = await RunAsync(args);

        Assert.True(run.Exit == 2, run.ToString());
        Assert.Equal("", run.Out);
        Assert.StartsWith("error: ", run.Err, StringComparison.Ordinal);
        Assert.Contains(message, run.Err, StringComparison.Ordinal);
        // Then the help of the verb the error is about, so the right spelling is one glance away.
        Assert.Contains($"Gateway keys {args[0]}", run.Err, StringComparison.Ordinal);
        Assert.Empty(_sent);
    }

    [Fact]
    public async Task ResponseFiles_AreOff_AnAtSignIsJustAValue()
    {
        var run = await RunAsync("show", "@no-such-file", "--url", "http://127.0.0.1:9/", "--token", "t");

        Assert.True(run.Exit == 1, run.ToString());
        Assert.Equal(["GET /admin/keys/%40no-such-file"], _sent);
    }

    [Fact]
    public async Task SuggestDirective_AfterKeys_ListsEveryVerb()
    {
        var run = await SuggestAsync("keys ");

        Assert.True(run.Exit == 0, run.ToString());
        Assert.Equal(Verbs.Order(StringComparer.Ordinal), run.OutLines.Where(l => !l.StartsWith('-') && !l.StartsWith('/')));
        Assert.Empty(_sent);
    }

    [Theory]
    [InlineData("keys ro", "roll")]
    [InlineData("keys im", "import-legacy")]
    [InlineData("keys create --graph", "--graphql")]
    [InlineData("keys create --graphql ", "none", "read", "readwrite")]
    [InlineData("keys create --preset ", "all", "readonly", "restricted")]
    [InlineData("keys admin-token --role ", "admin", "viewer")]
    public async Task SuggestDirective_CompletesVerbsOptionsAndValues(string typed, params string[] expected)
    {
        var run = await SuggestAsync(typed);

        Assert.True(run.Exit == 0, run.ToString());
        Assert.Equal(expected, run.OutLines);
    }

    private Task<CliRun> SuggestAsync(string typed) => RunLineAsync([$"[suggest:{typed.Length}]", typed]);

    // No --url or --token: a parse error or help never gets as far as needing them.
    private Task<CliRun> RunAsync(params string[] args) => RunLineAsync([KeysCli.Command, .. args]);

    private async Task<CliRun> RunLineAsync(string[] commandLine)
    {
        using var handler = new RecordingHandler(_sent);
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exit = await KeysCli.RunCommandLineAsync(commandLine, stdout, stderr, handler);
        return new CliRun(exit, stdout.ToString(), stderr.ToString());
    }

    private sealed class RecordingHandler(List<string> sent) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            sent.Add($"{request.Method} {request.RequestUri!.AbsolutePath}");
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.NotFound) { Content = new StringContent("") });
        }
    }
}
