using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Cli;

/// <summary><c>keys list --query --limit --all</c>: one page by default, every page with <c>--all</c>, the server's refusals as errors.</summary>
[Collection(CliCollection.Name)]
public sealed class KeysCliListTests(CliFixture fixture)
{
    [Fact]
    public async Task List_WithQueryAndLimit_ShowsOnePage_AndSaysMoreFollow()
    {
        var ids = await CreateAsync("cli-page", 5);

        var run = await fixture.RunAsync("list", "--query", ids.Name.ToUpperInvariant(), "--limit", "2");

        Assert.True(run.Exit == 0, run.ToString());
        Assert.Equal(ids.Ids[^2..].Reverse(), Rows(run, ids.Ids));
        Assert.Contains("--all", run.Err);
    }

    [Fact]
    public async Task List_All_FollowsEveryCursor_NewestFirst()
    {
        var ids = await CreateAsync("cli-all", 5);

        var run = await fixture.RunAsync("list", "--query", ids.Name, "--limit", "2", "--all");

        Assert.True(run.Exit == 0, run.ToString());
        Assert.Equal(Enumerable.Reverse(ids.Ids), Rows(run, ids.Ids));
        Assert.DoesNotContain("--all", run.Err);
    }

    [Fact]
    public async Task List_All_Json_IsEveryKeyAndNoCursor()
    {
        var ids = await CreateAsync("cli-alljson", 3);

        var run = await fixture.RunAsync("list", "--query", ids.Name, "--limit", "1", "--all", "--json");

        Assert.True(run.Exit == 0, run.ToString());
        Assert.Equal(Enumerable.Reverse(ids.Ids), run.Json["keys"]!.AsArray().Select(k => (string)k!["id"]!));
        Assert.Null(run.Json["nextCursor"]);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1001")]
    [InlineData("many")]
    public async Task List_WithABadLimit_FailsNamingIt(string limit)
    {
        var run = await fixture.RunAsync("list", "--limit", limit);

        Assert.Equal(1, run.Exit);
        Assert.Contains("400 invalid_request: limit", run.Err);
        Assert.Empty(run.Out);
    }

    private async Task<(string Name, string[] Ids)> CreateAsync(string stem, int count)
    {
        var name = CliFixture.UniqueName(stem);
        var ids = new string[count];
        for (var i = 0; i < count; i++)
        {
            ids[i] = (await fixture.CreateKeyAsync($"{name}-{i}")).Id;
            var created = DateTimeOffset.Parse((string)(await fixture.AdminGetAsync($"/admin/keys/{ids[i]}"))["createdAt"]!, System.Globalization.CultureInfo.InvariantCulture);
            // Creation times are kept to the millisecond: the clock moves on so "newest first" is one order.
            await Eventually.TrueAsync(() => DateTimeOffset.UtcNow > created.AddMilliseconds(2), "the clock to pass the creation time");
        }

        return (name, ids);
    }

    private static List<string> Rows(CliRun run, string[] ids) =>
        run.OutLines.Skip(1).Select(l => l.Split(' ')[0]).Where(ids.Contains).ToList();
}
