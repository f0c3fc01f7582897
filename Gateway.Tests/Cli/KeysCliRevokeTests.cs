using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Cli;

/// <summary><c>keys revoke FILE</c>: one plaintext per line, blank lines ignored, batches of 1,000; plaintexts never printed.</summary>
[Collection(CliCollection.Name)]
public sealed class KeysCliRevokeTests(CliFixture fixture) : IDisposable
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"leaked-keys-{Guid.NewGuid():N}.txt");

    public void Dispose() => File.Delete(_file);

    [Fact]
    public async Task File_WithBlankLinesAndCrlf_RevokesEveryListedKey_AndPrintsNoPlaintext()
    {
        var (first, firstId) = await fixture.CreateKeyAsync(CliFixture.UniqueName("leak-a"));
        var (second, secondId) = await fixture.CreateKeyAsync(CliFixture.UniqueName("leak-b"));
        var (kept, keptId) = await fixture.CreateKeyAsync(CliFixture.UniqueName("kept"));
        await File.WriteAllTextAsync(_file, $"{first}\r\n\r\n   \n{second}\nrpa_unknown{Guid.NewGuid():N}\n");

        var run = await fixture.RunAsync("revoke", _file);

        Assert.True(run.Exit == 0, run.ToString());
        Assert.Equal("2 revoked, 1 unknown", run.OutLines[^1]);
        Assert.DoesNotContain(first, run.Out + run.Err, StringComparison.Ordinal);
        Assert.DoesNotContain(second, run.Out + run.Err, StringComparison.Ordinal);
        Assert.False((bool)(await fixture.AdminGetAsync($"/admin/keys/{firstId}"))["enabled"]!);
        Assert.False((bool)(await fixture.AdminGetAsync($"/admin/keys/{secondId}"))["enabled"]!);
        Assert.True((bool)(await fixture.AdminGetAsync($"/admin/keys/{keptId}"))["enabled"]!);
        Assert.NotEqual(first, kept);
    }

    [Fact]
    public async Task MoreThan1000Lines_AreSentInBatches()
    {
        var (key, id) = await fixture.CreateKeyAsync(CliFixture.UniqueName("leak-late"));
        // The real key is the 1,501st line: only a second batch can reach it.
        var lines = Enumerable.Range(0, 1500).Select(i => $"rpa_unknown{i}").Append(key);
        await File.WriteAllLinesAsync(_file, lines);

        var run = await fixture.RunAsync("revoke", _file, "--json");

        Assert.True(run.Exit == 0, run.ToString());
        Assert.Equal(1500, (int)run.Json["unknown"]!);
        Assert.Equal(id, (string?)Assert.Single(run.Json["revoked"]!.AsArray())!["id"]);
    }

    [Fact]
    public async Task MissingFile_IsAUsageError()
    {
        var run = await fixture.RunAsync("revoke", _file);

        Assert.Equal(2, run.Exit);
        Assert.Contains("no file", run.Err, StringComparison.Ordinal);
    }
}
