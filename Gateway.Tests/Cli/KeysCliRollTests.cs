using System.Globalization;
using Gateway.Keys;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Cli;

/// <summary><c>keys roll ID --grace DURATION</c>: prints the new key once and the old key's new expiry.</summary>
[Collection(CliCollection.Name)]
public sealed class KeysCliRollTests(CliFixture fixture)
{
    [Fact]
    public async Task Roll_PrintsTheNewKeyOnce_AndTheOldKeysExpiry()
    {
        var name = CliFixture.UniqueName("roll");
        var (oldKey, oldId) = await fixture.CreateKeyAsync(name);
        var before = DateTimeOffset.UtcNow;

        var run = await fixture.RunAsync("roll", oldId, "--grace", "24h");

        Assert.True(run.Exit == 0, run.ToString());
        var keyLine = Assert.Single(run.OutLines, l => l.StartsWith("key: ", StringComparison.Ordinal));
        var newKey = keyLine["key: ".Length..];
        Assert.Equal(KeyForm.Rpa, KeyFormat.Classify(newKey));
        Assert.Contains("only time the key is shown", run.Err, StringComparison.Ordinal);
        Assert.DoesNotContain(oldKey, run.Out + run.Err, StringComparison.Ordinal);

        var oldView = await fixture.AdminGetAsync($"/admin/keys/{oldId}");
        var newId = (string)oldView["replacedBy"]!;
        Assert.Contains(newId, run.Out, StringComparison.Ordinal);
        Assert.Equal($"old key {oldId} expires at {(string)oldView["expiresAt"]!}", run.OutLines[^1]);
        var expiry = DateTimeOffset.Parse((string)oldView["expiresAt"]!, CultureInfo.InvariantCulture);
        Assert.InRange(expiry, before.AddHours(24).AddSeconds(-1), DateTimeOffset.UtcNow.AddHours(24).AddSeconds(1));
        Assert.Equal(oldId, (string?)(await fixture.AdminGetAsync($"/admin/keys/{newId}"))["replaces"]);
    }

    [Fact]
    public async Task Json_PrintsTheNewKeysAnswer_AndTheOldKeysView()
    {
        var (_, oldId) = await fixture.CreateKeyAsync(CliFixture.UniqueName("roll-json"));

        var run = await fixture.RunAsync("roll", oldId, "--grace", "90", "--json");

        Assert.True(run.Exit == 0, run.ToString());
        Assert.Equal(oldId, (string?)run.Json["new"]!["replaces"]);
        Assert.StartsWith("rpa_", (string)run.Json["new"]!["key"]!, StringComparison.Ordinal);
        Assert.Equal((string?)run.Json["new"]!["id"], (string?)run.Json["old"]!["replacedBy"]);
        Assert.NotNull(run.Json["old"]!["expiresAt"]);
    }

    [Theory]
    [InlineData("45", 45)]
    [InlineData("45s", 45)]
    [InlineData("15m", 900)]
    [InlineData("24h", 86400)]
    [InlineData("7d", 604800)]
    [InlineData("0", 0)]
    public void Grace_AcceptsSecondsAndSuffixes(string given, long seconds) =>
        Assert.Equal(seconds, Gateway.Cli.KeysCommands.GraceSeconds(given));

    [Theory]
    [InlineData("8d")]
    [InlineData("604801")]
    [InlineData("1w")]
    [InlineData("-5")]
    [InlineData("1.5h")]
    [InlineData("h")]
    [InlineData("")]
    public async Task BadGrace_IsAUsageError_AndRollsNothing(string grace)
    {
        var (_, oldId) = await fixture.CreateKeyAsync(CliFixture.UniqueName("roll-bad"));

        var run = await fixture.RunAsync("roll", oldId, "--grace=" + grace);

        Assert.Equal(2, run.Exit);
        Assert.Contains("--grace", run.Err, StringComparison.Ordinal);
        Assert.Null((await fixture.AdminGetAsync($"/admin/keys/{oldId}"))["replacedBy"]);
    }

    [Fact]
    public async Task RollingTwice_Is409_ExitOne()
    {
        var (_, oldId) = await fixture.CreateKeyAsync(CliFixture.UniqueName("roll-twice"));
        Assert.Equal(0, (await fixture.RunAsync("roll", oldId, "--grace", "1h")).Exit);

        var again = await fixture.RunAsync("roll", oldId, "--grace", "1h");

        Assert.Equal(1, again.Exit);
        Assert.Contains("key_already_rolled", again.Err, StringComparison.Ordinal);
    }
}
