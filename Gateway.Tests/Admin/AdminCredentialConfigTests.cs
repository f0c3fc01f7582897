using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Tests.Configuration;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Admin;

/// <summary>
/// <c>Admin:Tokens</c> is checked at start (a bad entry stops it, each problem named) and on every reload (a bad edit is
/// refused as a whole, the credentials in force stay; a good edit adds or withdraws a credential without a restart).
/// </summary>
public sealed class AdminCredentialConfigTests
{
    private static readonly string Digest = AdminCredentialTests.Sha256("some-token");

    [Theory]
    [InlineData("Admin:Tokens:ci:Sha256", "ABCDEF", "Admin:Tokens:ci:Sha256 must be 64 lowercase hex")]
    [InlineData("Admin:Tokens:ci:Sha256", "not-hex", "Admin:Tokens:ci:Sha256 must be 64 lowercase hex")]
    [InlineData("Admin:Tokens:ci:Role", "owner", "Admin:Tokens:ci:Role must be 'admin' or 'viewer'")]
    [InlineData("Admin:Tokens:ci:Role", "Admin", "Admin:Tokens:ci:Role must be 'admin' or 'viewer'")]
    [InlineData("Admin:Tokens:ci:Role", null, "Admin:Tokens:ci:Role must be 'admin' or 'viewer'")]
    public void BadEntry_StopsTheStart_NamingIt(string setting, string? value, string expected)
    {
        var settings = new Dictionary<string, string?> { ["Admin:Tokens:ci:Sha256"] = Digest, ["Admin:Tokens:ci:Role"] = "viewer" };
        settings[setting] = value;
        if (value is null)
        {
            settings.Remove(setting);
        }

        var messages = StartupFailure.Of(settings: settings);

        Assert.Contains(expected, messages, StringComparison.Ordinal);
    }

    [Fact]
    public void TheUppercaseHexOfAValidDigest_IsRefused()
    {
        var messages = StartupFailure.Of(settings: new Dictionary<string, string?>
        {
            ["Admin:Tokens:ci:Sha256"] = Digest.ToUpperInvariant(),
            ["Admin:Tokens:ci:Role"] = "viewer",
        });

        Assert.Contains("lowercase hex", messages, StringComparison.Ordinal);
    }

    [Fact]
    public void DuplicateDigests_AndABadName_AreAllReportedAtOnce()
    {
        var messages = StartupFailure.Of(settings: new Dictionary<string, string?>
        {
            ["Admin:Tokens:first:Sha256"] = Digest,
            ["Admin:Tokens:first:Role"] = "admin",
            ["Admin:Tokens:second:Sha256"] = Digest,
            ["Admin:Tokens:second:Role"] = "viewer",
            ["Admin:Tokens:same-as-token:Sha256"] = AdminCredentialTests.Sha256(GatewayHost.AdminToken),
            ["Admin:Tokens:same-as-token:Role"] = "viewer",
            ["Admin:Tokens:admin-token:Sha256"] = AdminCredentialTests.Sha256("another"),
            ["Admin:Tokens:admin-token:Role"] = "viewer",
        });

        Assert.Contains("Admin:Tokens:second:Sha256 is the same token as Admin:Tokens:first", messages, StringComparison.Ordinal);
        Assert.Contains("Admin:Tokens:same-as-token:Sha256 is the same token as Admin:Token", messages, StringComparison.Ordinal);
        Assert.Contains("Admin:Tokens:admin-token: the name 'admin-token'", messages, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NamedOnly_WithoutAdminToken_Works()
    {
        await using var upstream = await RecordingUpstream.StartAsync();
        await using var host = new GatewayHost(GatewayHost.WriteConfig(upstream.Address), TestStore.Configuration, TestStore.UniquePrefix(), new Dictionary<string, string?>
        {
            ["Admin:Token"] = "",
            ["Admin:Tokens:only:Sha256"] = AdminCredentialTests.Sha256(AdminCredentialTests.OpsToken),
            ["Admin:Tokens:only:Role"] = "admin",
        }).Start();

        Assert.Equal(HttpStatusCode.OK, await StatusAsync(host, AdminCredentialTests.OpsToken));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(host, GatewayHost.AdminToken));
    }

    [Fact]
    public async Task Reload_AddsAndWithdrawsCredentials_AndABadEditIsRefusedAsAWhole()
    {
        await using var upstream = await RecordingUpstream.StartAsync();
        const string first = "adm_reload-first-0001";
        const string second = "adm_reload-second-0002";
        var config = GatewayHost.WriteConfig(upstream.Address, c => c["Admin"] = Tokens(("first", first, "viewer")));
        await using var host = new GatewayHost(config, TestStore.Configuration, TestStore.UniquePrefix(), configureLogging: l => l.AddFakeLogging()).Start();
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(host, first));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(host, second));

        // A bad role for a new credential, beside a valid one: nothing of the edit applies.
        Rewrite(host, upstream, Tokens(("first", first, "viewer"), ("second", second, "superuser")));
        await Eventually.TrueAsync(() => host.FakeLog().Logged("Admin:Tokens:second:Role"), "the refused reload to be logged naming the entry");
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(host, first));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(host, second));

        // A good edit: the first withdrawn, the second added.
        Rewrite(host, upstream, Tokens(("second", second, "admin")));
        await Eventually.TrueAsync(async () => await StatusAsync(host, second) == HttpStatusCode.OK, "the added credential to be accepted");
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(host, first));
        // Admin:Token (from the test's settings) is untouched by the file's edits.
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(host, GatewayHost.AdminToken));
    }

    private static JsonObject Tokens(params (string Name, string Token, string Role)[] credentials)
    {
        var tokens = new JsonObject();
        foreach (var (name, token, role) in credentials)
        {
            tokens[name] = new JsonObject { ["Sha256"] = AdminCredentialTests.Sha256(token), ["Role"] = role };
        }

        return new JsonObject { ["Tokens"] = tokens };
    }

    private static void Rewrite(GatewayHost host, RecordingUpstream upstream, JsonObject admin)
    {
        var config = GatewayHost.StandardConfig(upstream.Address);
        config["Admin"] = admin;
        // A rename, so the watcher never reads a half-written file.
        var temporary = host.ConfigPath + "." + Guid.NewGuid().ToString("N") + ".tmp";
        File.WriteAllText(temporary, config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        File.Move(temporary, host.ConfigPath, overwrite: true);
    }

    private static async Task<HttpStatusCode> StatusAsync(GatewayHost host, string token)
    {
        using var client = new HttpClient { BaseAddress = host.Listeners.AdminUri };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await client.GetAsync(new Uri("/admin/whoami", UriKind.Relative));
        return response.StatusCode;
    }
}
