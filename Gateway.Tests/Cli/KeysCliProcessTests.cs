using System.Diagnostics;

namespace Gateway.Tests.Cli;

/// <summary>The real binary: <c>dotnet Gateway.dll keys ...</c> reaches <see cref="Gateway.Cli.KeysCli"/> through Program.cs.</summary>
[Collection(CliCollection.Name)]
public sealed class KeysCliProcessTests(CliFixture fixture)
{
    [Fact]
    public async Task GatewayDll_KeysList_PrintsTheTable()
    {
        var name = CliFixture.UniqueName("cli-process");
        var (_, id) = await fixture.CreateKeyAsync(name);

        var run = await RunGatewayAsync("keys", "list", "--url", fixture.AdminUrl, "--token", Infrastructure.GatewayHost.AdminToken);

        Assert.True(run.Exit == 0, run.ToString());
        Assert.StartsWith("ID", run.OutLines[0]);
        Assert.Contains(run.OutLines, l => l.StartsWith(id, StringComparison.Ordinal) && l.Contains(name, StringComparison.Ordinal));
    }

    [Fact]
    public async Task GatewayDll_KeysUnknownVerb_Exit2()
    {
        var run = await RunGatewayAsync("keys", "frobnicate", "--url", fixture.AdminUrl, "--token", Infrastructure.GatewayHost.AdminToken);

        Assert.True(run.Exit == 2, run.ToString());
        Assert.Contains("Unrecognized command or argument 'frobnicate'.", run.Err);
    }

    [Fact]
    public async Task GatewayDll_KeysRevokeDash_ReadsStandardInput()
    {
        var (key, id) = await fixture.CreateKeyAsync(CliFixture.UniqueName("leak-stdin"));

        var run = await RunGatewayWithInputAsync(key + "\n\n", "keys", "revoke", "-", "--url", fixture.AdminUrl, "--token", Infrastructure.GatewayHost.AdminToken);

        Assert.True(run.Exit == 0, run.ToString());
        Assert.Equal("1 revoked, 0 unknown", run.OutLines[^1]);
        Assert.DoesNotContain(key, run.Out + run.Err, StringComparison.Ordinal);
        Assert.False((bool)(await fixture.AdminGetAsync($"/admin/keys/{id}"))["enabled"]!);
    }

    private static Task<CliRun> RunGatewayAsync(params string[] args) => RunGatewayWithInputAsync("", args);

    private static async Task<CliRun> RunGatewayWithInputAsync(string input, params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "Gateway.dll");
        Assert.True(File.Exists(dll), $"no Gateway.dll next to the tests at {dll}");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        start.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        await process.StandardInput.WriteAsync(input);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        return new CliRun(process.ExitCode, await stdout, await stderr);
    }
}
