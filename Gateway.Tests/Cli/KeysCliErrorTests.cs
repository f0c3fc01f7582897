using System.Net;
using System.Net.Sockets;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Cli;

/// <summary>Bad input: 2 for a usage error (nothing sent), 1 for a call the API refused or could not take.</summary>
[Collection(CliCollection.Name)]
public sealed class KeysCliErrorTests(CliFixture fixture)
{
    [Theory]
    [InlineData("create")]
    [InlineData("create", "--name", "x", "--graphql", "write")]
    [InlineData("create", "--name", "x", "--endpoints", "READ")]
    [InlineData("create", "--name", "x", "--endpoint", "ep1")]
    [InlineData("create", "--name", "x", "--endpoint", "ep1=all")]
    [InlineData("create", "--name", "x", "--preset", "everything")]
    [InlineData("update", "some-id")]
    [InlineData("show")]
    [InlineData("show", "one", "two")]
    [InlineData("enable")]
    [InlineData("disable")]
    [InlineData("delete")]
    [InlineData("usage")]
    [InlineData("import-legacy")]
    [InlineData("frobnicate")]
    [InlineData("create", "--name", "x", "--graphq", "readwrite")]
    [InlineData("create", "--name", "x", "--expire", "2099-01-01T00:00:00Z")]
    [InlineData("list", "--days", "3")]
    [InlineData("disable", "some-id", "--name", "x")]
    public async Task UsageError_Exit2_NothingOnStdout(params string[] args)
    {
        var before = await KeyCountAsync();
        var run = await fixture.RunAsync(args);

        Assert.True(run.Exit == 2, run.ToString());
        Assert.StartsWith("error: ", run.Err);
        Assert.Equal("", run.Out);
        Assert.Equal(before, await KeyCountAsync());
    }

    [Fact]
    public async Task UnknownVerb_NamesItAndShowsUsage()
    {
        var run = await fixture.RunAsync("frobnicate");
        Assert.Contains("Unrecognized command or argument 'frobnicate'.", run.Err);
        Assert.Contains("Gateway keys [command] [options]", run.Err);
    }

    [Fact]
    public async Task MisspeltFlag_IsNamed_AndNoKeyIsCreated()
    {
        var name = CliFixture.UniqueName("cli-typo");
        var run = await fixture.RunAsync("create", "--name", name, "--expire", "2099-01-01T00:00:00Z");
        Assert.Contains("Unrecognized command or argument '--expire'.", run.Err);
        Assert.Null(await fixture.FindKeyByNameAsync(name));
    }

    [Fact]
    public async Task NoVerb_Exit2WithUsage_HelpExit0()
    {
        var none = await CliFixture.RunRawAsync();
        Assert.Equal(2, none.Exit);
        Assert.Contains("Gateway keys [command] [options]", none.Out + none.Err);

        var help = await CliFixture.RunRawAsync("help");
        Assert.Equal(0, help.Exit);
        Assert.Contains("import-legacy <FILE>", help.Out);
    }

    [Theory]
    [InlineData("create", "--name", "   ")]
    [InlineData("create", "--name", "x", "--endpoint", "bad/id=read")]
    [InlineData("create", "--name", "x", "--expires", "2001-01-01T00:00:00Z")]
    [InlineData("show", "no-such-key")]
    [InlineData("enable", "no-such-key")]
    [InlineData("disable", "no-such-key")]
    [InlineData("delete", "no-such-key")]
    [InlineData("update", "no-such-key", "--name", "y")]
    [InlineData("usage", "no-such-key")]
    public async Task RefusedByTheApi_Exit1_WithTheProblemOnStderr(params string[] args)
    {
        var run = await fixture.RunAsync(args);

        Assert.True(run.Exit == 1, run.ToString());
        Assert.Matches(@"^error: (400|404) ", run.Err);
        Assert.Equal("", run.Out);
    }

    [Fact]
    public async Task UsageDays_OutOfRange_NamesTheField()
    {
        var (_, id) = await fixture.CreateKeyAsync(CliFixture.UniqueName("cli-days"));
        var run = await fixture.RunAsync("usage", id, "--days", "0");
        Assert.True(run.Exit == 1, run.ToString());
        Assert.Contains("days", run.Err);
    }

    [Fact]
    public async Task UpdateScopesOfALegacyKey_Exit1_LegacyKeyImmutable()
    {
        var file = Path.GetTempFileName();
        try
        {
            var name = CliFixture.UniqueName("cli-legacy");
            await File.WriteAllTextAsync(file, $"legacy-{Guid.NewGuid():N},{name},read\n");
            Assert.Equal(0, (await fixture.RunAsync("import-legacy", file)).Exit);
            var id = (string)(await fixture.FindKeyByNameAsync(name))!["id"]!;

            var run = await fixture.RunAsync("update", id, "--graphql", "readwrite");
            Assert.True(run.Exit == 1, run.ToString());
            Assert.Contains("409 legacy_key_immutable", run.Err);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task WrongToken_Exit1()
    {
        var run = await CliFixture.RunRawAsync("list", "--url", fixture.AdminUrl, "--token", "not-the-token");
        Assert.True(run.Exit == 1, run.ToString());
        Assert.StartsWith("error: 401 ", run.Err);
    }

    [Fact]
    public async Task MissingToken_Exit2_SaysHowToGiveOne()
    {
        var run = await CliFixture.RunRawAsync("list", "--url", fixture.AdminUrl);
        Assert.True(run.Exit == 2, run.ToString());
        Assert.Contains("no admin token", run.Err);
        Assert.Contains("--token", run.Err);
    }

    [Fact]
    public async Task FlagWithoutValue_Exit2()
    {
        var run = await CliFixture.RunRawAsync("list", "--token", GatewayHost.AdminToken, "--url");
        Assert.True(run.Exit == 2, run.ToString());
        Assert.Contains("Required argument missing for option: '--url'.", run.Err);
    }

    [Theory]
    [InlineData("not a url")]
    [InlineData("localhost:8081")]
    [InlineData("ftp://127.0.0.1:8081/")]
    public async Task UrlThatIsNotHttp_Exit2(string url)
    {
        var run = await CliFixture.RunRawAsync("list", "--url", url, "--token", GatewayHost.AdminToken);
        Assert.True(run.Exit == 2, run.ToString());
        Assert.Contains(url, run.Err);
    }

    [Fact]
    public async Task UnreachableUrl_Exit1_WithAClearMessage()
    {
        // A port that was free a moment ago and has no listener now.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var run = await CliFixture.RunRawAsync("list", "--url", $"http://127.0.0.1:{port}", "--token", GatewayHost.AdminToken);
        Assert.True(run.Exit == 1, run.ToString());
        Assert.Contains("cannot reach the admin API", run.Err);
        Assert.Contains("Is the gateway running? Check --url.", run.Err);
        Assert.Equal("", run.Out);
    }

    private async Task<int> KeyCountAsync() => (await fixture.AdminGetAsync("/admin/keys"))["keys"]!.AsArray().Count;
}
