using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Cli;

/// <summary><c>import-legacy</c>: plain and CSV files, progress on stderr, and all-or-nothing on a bad line.</summary>
[Collection(CliCollection.Name)]
public sealed class KeysCliImportTests(CliFixture fixture) : IDisposable
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"legacy-keys-{Guid.NewGuid():N}.txt");

    public void Dispose() => File.Delete(_file);

    [Fact]
    public async Task OneKeyPerLine_WithGraphql_ImportsThem_AndTheyWorkThroughTheProxy()
    {
        var keys = new[] { NewLegacyKey(), NewLegacyKey() };
        await File.WriteAllLinesAsync(_file, ["# exported from the old gateway", keys[0], "", "  " + keys[1] + "  "]);

        var run = await fixture.RunAsync("import-legacy", _file, "--graphql", "read");

        Assert.True(run.Exit == 0, run.ToString());
        Assert.Equal("2 imported, 0 duplicates skipped", run.Out.Trim());
        Assert.Equal(["imported 2/2 (2 new, 0 duplicates)"], run.ErrLines);
        foreach (var key in keys)
        {
            Assert.DoesNotContain(key, run.Out + run.Err);
            var view = await fixture.FindKeyByNameAsync($"legacy {key[..8]}");
            Assert.NotNull(view);
            Assert.Equal("legacy", (string?)view!["kind"]);
            Assert.Equal("read", (string?)view["graphql"]);
            Assert.Equal(200, (await fixture.Host.SendWithKeyAsync(HttpMethod.Post, "/v2/any/run", key)).Status);
        }

        var again = await fixture.RunAsync("import-legacy", _file, "--graphql", "read");
        Assert.True(again.Exit == 0, again.ToString());
        Assert.Equal("0 imported, 2 duplicates skipped", again.Out.Trim());
    }

    [Fact]
    public async Task Csv_NameAndLevel_InBatches_ProgressPerBatch()
    {
        var (billing, reports, ops) = (CliFixture.UniqueName("billing"), CliFixture.UniqueName("reports"), CliFixture.UniqueName("ops"));
        var keys = new[] { NewLegacyKey(), NewLegacyKey(), NewLegacyKey() };
        await File.WriteAllLinesAsync(_file, [$"{keys[0]},{billing},readwrite", $"{keys[1]}, {reports} ,read", $"{keys[2]},{ops}"]);

        var run = await fixture.RunAsync("import-legacy", _file, "--graphql", "read", "--batch", "2", "--json");

        Assert.True(run.Exit == 0, run.ToString());
        Assert.Equal(["imported 2/3 (2 new, 0 duplicates)", "imported 3/3 (3 new, 0 duplicates)"], run.ErrLines);
        Assert.Equal(3, run.Json["imported"]!.AsArray().Count);
        Assert.Equal(0, (int)run.Json["duplicates"]!);
        foreach (var (name, level) in new[] { (billing, "readwrite"), (reports, "read"), (ops, "read") })
        {
            var view = await fixture.FindKeyByNameAsync(name);
            Assert.True(view is not null, $"no key named '{name}'");
            Assert.Equal(level, (string?)view!["graphql"]);
            Assert.True(JsonNode.DeepEquals(new JsonObject { ["*"] = "readwrite" }, view["endpoints"]));
        }
    }

    [Theory]
    [InlineData("rpa_notalegacykeyatall0000000000000000")]
    [InlineData("short")]
    [InlineData("has a space in it somewhere")]
    [InlineData("{0},name,none")]
    [InlineData("{0},name,read,extra")]
    public async Task BadLine_Exit2_NamesTheLine_AndImportsNothing(string badLine)
    {
        var good = CliFixture.UniqueName("good");
        var goodKey = NewLegacyKey();
        await File.WriteAllLinesAsync(_file, [$"{goodKey},{good},read", "", string.Format(badLine, NewLegacyKey())]);

        var run = await fixture.RunAsync("import-legacy", _file);

        Assert.True(run.Exit == 2, run.ToString());
        Assert.StartsWith("error: line 3: ", run.Err);
        Assert.DoesNotContain(goodKey, run.Err);
        Assert.Equal("", run.Out);
        Assert.Null(await fixture.FindKeyByNameAsync(good));
        Assert.Equal(401, (await fixture.Host.SendWithKeyAsync(HttpMethod.Get, "/v2/ep1/status", goodKey)).Status);
    }

    [Fact]
    public async Task NoLevel_NoFile_EmptyFile_BadGraphqlFlag_Exit2()
    {
        await File.WriteAllLinesAsync(_file, [NewLegacyKey()]);
        var noLevel = await fixture.RunAsync("import-legacy", _file);
        Assert.True(noLevel.Exit == 2, noLevel.ToString());
        Assert.Contains("line 1: no GraphQL level", noLevel.Err);

        var badFlag = await fixture.RunAsync("import-legacy", _file, "--graphql", "none");
        Assert.True(badFlag.Exit == 2, badFlag.ToString());

        var missing = await fixture.RunAsync("import-legacy", _file + ".missing", "--graphql", "read");
        Assert.True(missing.Exit == 2, missing.ToString());
        Assert.Contains("no file", missing.Err);

        await File.WriteAllLinesAsync(_file, ["# nothing here", ""]);
        var empty = await fixture.RunAsync("import-legacy", _file, "--graphql", "read");
        Assert.True(empty.Exit == 2, empty.ToString());
        Assert.Contains("holds no keys", empty.Err);
    }

    private static string NewLegacyKey() => "lg-" + Guid.NewGuid().ToString("N");
}
