using System.Text.RegularExpressions;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Cli;

/// <summary><c>keys usage</c> shows a key's <c>other</c> target (README: "Usage") like any other row.</summary>
public sealed class KeysCliUsageOtherTests : IAsyncLifetime
{
    private RecordingUpstream _upstream = null!;
    private GatewayHost _host = null!;

    public async Task InitializeAsync()
    {
        _upstream = await RecordingUpstream.StartAsync();
        // A cap of 1 target per key and day, so the second endpoint already goes to 'other'.
        _host = new GatewayHost(GatewayHost.WriteConfig(_upstream.Address), TestStore.Configuration, TestStore.UniquePrefix(),
            new Dictionary<string, string?> { ["Usage:MaxTargetsPerKey"] = "1" }).Start();
    }

    public async Task DisposeAsync()
    {
        var config = _host.ConfigPath;
        await _host.DisposeAsync();
        await _upstream.DisposeAsync();
        File.Delete(config);
    }

    [Fact]
    public async Task Usage_KeyPastMaxTargetsPerKey_PrintsOtherAsARow()
    {
        var (key, id) = await _host.CreateKeyAsync(new { name = "cli-other", endpoints = new Dictionary<string, string> { ["ep1"] = "read" } });
        Assert.Equal(200, (await _host.SendWithKeyAsync(HttpMethod.Get, "/v2/ep1/status", key)).Status);
        Assert.Equal("scope_denied", (await _host.SendWithKeyAsync(HttpMethod.Get, "/v2/ep2/status", key)).Code);
        Assert.Equal("scope_denied", (await _host.SendWithKeyAsync(HttpMethod.Post, "/v2/ep3/run", key)).Code);

        CliRun run = null!;
        await Eventually.TrueAsync(async () =>
        {
            run = await CliFixture.RunRawAsync("usage", id, "--url", _host.Listeners.AdminUri!.ToString(), "--token", GatewayHost.AdminToken);
            return run.Exit == 0 && run.OutLines.Length == 4;
        }, "the CLI to show both targets");

        var rows = run.OutLines.Skip(2).Select(l => Regex.Split(l, @"\s+")[1..]).ToArray();
        Assert.Equal(["endpoint:ep1", "1", "0"], rows[0]);
        Assert.Equal(["other", "0", "2"], rows[1]);
    }
}
