using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Cli;

/// <summary><c>--allow-ip</c> on create and update (repeatable; <c>none</c> clears), shown in list and show.</summary>
[Collection(CliCollection.Name)]
public sealed class KeysCliAllowIpTests(CliFixture fixture)
{
    [Fact]
    public async Task Create_WithAllowIp_IsEnforced_AndShown()
    {
        var name = CliFixture.UniqueName("cli-allow");
        var run = await fixture.RunAsync("create", "--name", name, "--endpoints", "read", "--allow-ip", "10.0.0.0/8", "--allow-ip", "2001:DB8::/32", "--json");

        Assert.True(run.Exit == 0, run.ToString());
        Assert.Equal(["10.0.0.0/8", "2001:db8::/32"], run.Json["allowedIps"]!.AsArray().Select(n => (string)n!));
        var key = (string)run.Json["key"]!;
        var id = (string)run.Json["id"]!;
        Assert.Equal("ip_not_allowed", (await fixture.Host.SendWithKeyAsync(HttpMethod.Get, "/v2/ep1/status", key)).Code);

        var show = await fixture.RunAsync("show", id);
        Assert.True(show.Exit == 0, show.ToString());
        Assert.EndsWith("10.0.0.0/8,2001:db8::/32", Assert.Single(show.OutLines, l => l.StartsWith(id, StringComparison.Ordinal)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Update_AllowIp_ReplacesTheList_AndNoneClearsIt()
    {
        var (key, id) = await fixture.CreateKeyAsync(CliFixture.UniqueName("cli-allow-update"));

        var restrict = await fixture.RunAsync("update", id, "--allow-ip", "192.0.2.0/24");
        Assert.True(restrict.Exit == 0, restrict.ToString());
        Assert.Equal(["192.0.2.0/24"], (await fixture.AdminGetAsync($"/admin/keys/{id}"))["allowedIps"]!.AsArray().Select(n => (string)n!));
        await Infrastructure.Eventually.TrueAsync(async () => (await fixture.Host.SendWithKeyAsync(HttpMethod.Post, "/v2/ep1/run", key)).Code == "ip_not_allowed", "the list to apply");

        var clear = await fixture.RunAsync("update", id, "--allow-ip", "none");
        Assert.True(clear.Exit == 0, clear.ToString());
        Assert.EndsWith(" any", Assert.Single(clear.OutLines, l => l.StartsWith(id, StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.Empty((await fixture.AdminGetAsync($"/admin/keys/{id}"))["allowedIps"]!.AsArray());
    }

    [Fact]
    public async Task InvalidEntry_IsTheServers400NamingAllowedIps_AndNoneWithAddressesIsAUsageError()
    {
        var (_, id) = await fixture.CreateKeyAsync(CliFixture.UniqueName("cli-allow-bad"));

        var bad = await fixture.RunAsync("update", id, "--allow-ip", "10.1.2.3/8");
        Assert.NotEqual(0, bad.Exit);
        Assert.Contains("allowedIps", bad.Err, StringComparison.Ordinal);

        var mixed = await fixture.RunAsync("update", id, "--allow-ip", "none", "--allow-ip", "10.0.0.0/8");
        Assert.Equal(2, mixed.Exit);
        Assert.Empty((await fixture.AdminGetAsync($"/admin/keys/{id}"))["allowedIps"]!.AsArray());
    }
}
