using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Gateway.Cli;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Cli;

[CollectionDefinition(Name)]
public sealed class CliCollection : ICollectionFixture<CliFixture>
{
    public const string Name = "Keys CLI";
}

/// <summary>What one run of <c>Gateway keys ...</c> printed and returned.</summary>
public sealed record CliRun(int Exit, string Out, string Err)
{
    public string[] OutLines => Out.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public string[] ErrLines => Err.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public JsonNode Json => JsonNode.Parse(Out) ?? throw new InvalidOperationException("stdout is JSON null");

    public override string ToString() => $"exit {Exit}\n--- stdout\n{Out}--- stderr\n{Err}";
}

/// <summary>One gateway and recording upstream for the CLI tests; the CLI runs in-process against its admin listener.</summary>
public sealed class CliFixture : IAsyncLifetime
{
    public RecordingUpstream Upstream { get; private set; } = null!;

    public GatewayHost Host { get; private set; } = null!;

    public string AdminUrl => Host.Listeners.AdminUri!.ToString();

    public async Task InitializeAsync()
    {
        Upstream = await RecordingUpstream.StartAsync();
        Host = new GatewayHost(GatewayHost.WriteConfig(Upstream.Address), TestStore.Configuration, TestStore.UniquePrefix()).Start();
    }

    public async Task DisposeAsync()
    {
        var config = Host.ConfigPath;
        await Host.DisposeAsync();
        await Upstream.DisposeAsync();
        File.Delete(config);
    }

    /// <summary>Runs the CLI with this gateway's <c>--url</c> and <c>--token</c> after <paramref name="args"/>.</summary>
    public Task<CliRun> RunAsync(params string[] args) => RunRawAsync([.. args, "--url", AdminUrl, "--token", GatewayHost.AdminToken]);

    /// <summary>Runs the CLI with exactly <paramref name="args"/>.</summary>
    public static async Task<CliRun> RunRawAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exit = await KeysCli.RunAsync(args, stdout, stderr);
        return new CliRun(exit, stdout.ToString(), stderr.ToString());
    }

    public async Task<JsonNode> AdminGetAsync(string path)
    {
        using var response = await Host.Admin.GetAsync(path);
        response.EnsureSuccessStatusCode();
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    public async Task<JsonNode?> FindKeyByNameAsync(string name) =>
        (await AdminGetAsync("/admin/keys?limit=1000&q=" + Uri.EscapeDataString(name)))["keys"]!.AsArray().FirstOrDefault(k => (string?)k!["name"] == name);

    public Task<(string Key, string Id)> CreateKeyAsync(string name, string endpointLevel = "readwrite") =>
        Host.CreateKeyAsync(new { name, endpoints = new Dictionary<string, string> { ["ep1"] = endpointLevel } });

    /// <summary>Waits until the usage API counts <paramref name="allowed"/> and <paramref name="denied"/> for ep1.</summary>
    public Task AwaitUsageAsync(string id, int allowed, int denied) => Eventually.TrueAsync(async () =>
    {
        var usage = await Host.Admin.GetFromJsonAsync<JsonObject>($"/admin/keys/{id}/usage?days=30");
        var counts = usage!["days"]!.AsArray().Select(d => d!["targets"]!["endpoint:ep1"]).Where(c => c is not null).ToList();
        return counts.Sum(c => (int)c!["allowed"]!) == allowed && counts.Sum(c => (int)c!["denied"]!) == denied;
    }, $"the usage API to count {allowed} allowed and {denied} denied");

    public static string UniqueName(string stem) => $"{stem}-{Guid.NewGuid():N}"[..(stem.Length + 7)];
}
