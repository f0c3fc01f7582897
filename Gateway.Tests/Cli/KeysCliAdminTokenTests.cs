using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Gateway.Tests.Admin;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Cli;

/// <summary>
/// <c>keys admin-token</c> prints a new token once and the config lines for it, and those lines, pasted into a config
/// file, make a credential the gateway accepts with that role. With a viewer's token the CLI reads and cannot write.
/// </summary>
public sealed class KeysCliAdminTokenTests
{
    [Fact]
    public async Task PrintsATokenAndItsConfigLines_WhichAGatewayAccepts_AsAViewer()
    {
        var run = await CliFixture.RunRawAsync("admin-token", "--name", "ci-reader", "--role", "viewer");
        Assert.True(run.Exit == 0, run.ToString());
        Assert.Contains("only time the token is shown", run.Err, StringComparison.Ordinal);

        var token = run.OutLines.Single(l => l.StartsWith("token: ", StringComparison.Ordinal))["token: ".Length..];
        Assert.Matches("^adm_[0-9a-f]{48}$", token);
        Assert.DoesNotContain(token, run.Out.Replace("token: " + token, "", StringComparison.Ordinal), StringComparison.Ordinal);
        var json = JsonNode.Parse(run.Out[run.Out.IndexOf('{', StringComparison.Ordinal)..(run.Out.LastIndexOf('}') + 1)])!.AsObject();
        var entry = json["Admin"]!["Tokens"]!["ci-reader"]!;
        Assert.Equal(AdminCredentialTests.Sha256(token), (string?)entry["Sha256"]);
        Assert.Equal("viewer", (string?)entry["Role"]);
        Assert.Contains($"Admin__Tokens__ci-reader__Sha256={AdminCredentialTests.Sha256(token)}", run.OutLines);
        Assert.Contains("Admin__Tokens__ci-reader__Role=viewer", run.OutLines);

        await using var upstream = await RecordingUpstream.StartAsync();
        await using var host = new GatewayHost(GatewayHost.WriteConfig(upstream.Address, config => config["Admin"] = json["Admin"]!.DeepClone()),
            TestStore.Configuration, TestStore.UniquePrefix()).Start();
        using var client = new HttpClient { BaseAddress = host.Listeners.AdminUri };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var whoami = JsonNode.Parse(await client.GetStringAsync(new Uri("/admin/whoami", UriKind.Relative)))!;
        Assert.Equal("ci-reader", (string?)whoami["name"]);
        Assert.Equal("viewer", (string?)whoami["role"]);

        var url = host.Listeners.AdminUri!.ToString();
        var list = await CliFixture.RunRawAsync("list", "--url", url, "--token", token);
        Assert.True(list.Exit == 0, list.ToString());
        var create = await CliFixture.RunRawAsync("create", "--name", "by-a-viewer", "--url", url, "--token", token);
        Assert.True(create.Exit == 1, create.ToString());
        Assert.Contains("viewer", create.Err, StringComparison.Ordinal);
        Assert.Equal("", create.Out);
    }

    [Fact]
    public async Task Defaults_AreAnAdminNamedAdmin_AndEachRunMakesANewToken()
    {
        var first = await CliFixture.RunRawAsync("admin-token", "--json");
        var second = await CliFixture.RunRawAsync("admin-token", "--json");
        Assert.True(first.Exit == 0, first.ToString());

        var entry = first.Json["Admin"]!["Tokens"]!["admin"]!;
        Assert.Equal("admin", (string?)entry["Role"]);
        Assert.Equal(AdminCredentialTests.Sha256((string)first.Json["token"]!), (string?)entry["Sha256"]);
        Assert.NotEqual((string?)first.Json["token"], (string?)second.Json["token"]);
    }

    [Theory]
    [InlineData("admin-token", "--role", "owner")]
    [InlineData("admin-token", "--role", "Admin")]
    [InlineData("admin-token", "--name", "has space")]
    [InlineData("admin-token", "--name", "admin-token")]
    [InlineData("admin-token", "--url", "http://127.0.0.1:1")]
    [InlineData("admin-token", "extra")]
    public async Task BadUsage_Exit2_PrintsNoToken(params string[] args)
    {
        var run = await CliFixture.RunRawAsync(args);

        Assert.True(run.Exit == 2, run.ToString());
        Assert.StartsWith("error: ", run.Err, StringComparison.Ordinal);
        Assert.Equal("", run.Out);
    }
}
