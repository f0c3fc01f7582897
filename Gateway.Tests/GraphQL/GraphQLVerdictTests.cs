using Gateway.GraphQL;

namespace Gateway.Tests.GraphQL;

public class GraphQLVerdictTests
{
    [Fact]
    public void Allow_IsNotRefused()
    {
        GraphQLVerdict verdict = GraphQLVerdict.Allow(GraphQLNeed.Read);
        Assert.False(verdict.IsRefused);
        Assert.Equal(GraphQLNeed.Read, verdict.Need);
        Assert.Null(verdict.Detail);
    }

    [Fact]
    public void Refusals_NeedReadWrite_SoMisuseFailsClosed()
    {
        Assert.Equal(GraphQLNeed.ReadWrite, GraphQLVerdict.Invalid("x").Need);
        Assert.Equal(GraphQLNeed.ReadWrite, GraphQLVerdict.MethodNotAllowed("x").Need);
        Assert.Equal(GraphQLNeed.ReadWrite, GraphQLVerdict.UnsupportedMediaType("x").Need);
        Assert.Equal(GraphQLRefusal.InvalidGraphQL, GraphQLVerdict.Invalid("x").Refusal);
        Assert.Equal(GraphQLRefusal.MethodNotAllowed, GraphQLVerdict.MethodNotAllowed("x").Refusal);
        Assert.Equal(GraphQLRefusal.UnsupportedMediaType, GraphQLVerdict.UnsupportedMediaType("x").Refusal);
    }

    [Fact]
    public void Default_IsNotRefused_ButHasNoNeed()
    {
        // default(GraphQLVerdict) is never returned by the classifier; documented here so nobody
        // starts relying on it.
        Assert.False(default(GraphQLVerdict).IsRefused);
        Assert.Equal((GraphQLNeed)0, default(GraphQLVerdict).Need);
    }

    [Theory]
    [InlineData("", "")]
    [InlineData("abc", "abc")]
    [InlineData("a\nb\0c", "a?b?c")]
    [InlineData("😀", "??")]
    public void Echo_ReplacesControlCharacters(string input, string expected)
    {
        Assert.Equal(expected, GraphQLVerdict.Echo(input));
    }

    [Fact]
    public void Echo_CutsLongInput()
    {
        string echoed = GraphQLVerdict.Echo(new string('x', 10_000));
        Assert.Equal(GraphQLVerdict.MaxEchoedChars + 3, echoed.Length);
        Assert.EndsWith("...", echoed);
        Assert.Equal(new string('x', 64), GraphQLVerdict.Echo(new string('x', 64)));
    }

    [Fact]
    public void Max()
    {
        Assert.Equal(GraphQLNeed.ReadWrite, GraphQLVerdict.Max(GraphQLNeed.Read, GraphQLNeed.ReadWrite));
        Assert.Equal(GraphQLNeed.ReadWrite, GraphQLVerdict.Max(GraphQLNeed.ReadWrite, GraphQLNeed.Read));
        Assert.Equal(GraphQLNeed.Read, GraphQLVerdict.Max(GraphQLNeed.Read, GraphQLNeed.Read));
    }
}
