using Gateway.Keys;

namespace Gateway.Tests.Keys;

public sealed class ScopeValidationTests
{
    private static bool Parse(out Dictionary<string, AccessLevel> parsed, out string? error, params (string Key, string Value)[] wire) =>
        ScopeValidation.TryParseEndpoints(wire.ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal), out parsed, out error);

    [Fact]
    public void ValidMap_IsParsed()
    {
        Assert.True(Parse(out var parsed, out var error, ("*", "read"), ("ep-1", "readwrite"), ("x_y", "none"), ("X_y", "read")));
        Assert.Null(error);
        Assert.Equal(4, parsed.Count);
        Assert.Equal(AccessLevel.Read, parsed["*"]);
        Assert.Equal(AccessLevel.ReadWrite, parsed["ep-1"]);
        Assert.Equal(AccessLevel.None, parsed["x_y"]);
        Assert.Equal(AccessLevel.Read, parsed["X_y"]);
        Assert.Same(StringComparer.Ordinal, parsed.Comparer);
    }

    [Fact]
    public void EmptyMap_IsValid()
    {
        Assert.True(Parse(out var parsed, out var error));
        Assert.Empty(parsed);
        Assert.Null(error);
    }

    [Theory]
    [InlineData("bad id")]
    [InlineData("")]
    [InlineData("**")]
    [InlineData("a/b")]
    [InlineData("a.b")]
    [InlineData("é")]
    public void BadEndpointKey_IsNamed(string key)
    {
        Assert.False(Parse(out var parsed, out var error, ("*", "read"), (key, "read")));
        Assert.Empty(parsed);
        Assert.NotNull(error);
        var shown = key.Replace('é', '?');
        Assert.StartsWith($"endpoints[\"{shown}\"]: ", error, StringComparison.Ordinal);
    }

    [Fact]
    public void SixtyFiveCharacterKey_IsRefused()
    {
        Assert.False(Parse(out _, out var error, (new string('a', 65), "read")));
        Assert.Contains("endpoints[\"" + new string('a', 64) + "...\"]", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Read")]
    [InlineData("READWRITE")]
    [InlineData("write")]
    [InlineData("")]
    public void BadLevel_IsNamed(string value)
    {
        Assert.False(Parse(out var parsed, out var error, ("ep", value)));
        Assert.Empty(parsed);
        Assert.Equal($"endpoints[\"ep\"]: unknown level \"{value}\"; expected \"none\", \"read\" or \"readwrite\"", error);
    }

    [Fact]
    public void NullLevel_IsNamed()
    {
        Assert.False(Parse(out _, out var error, ("ep", null!)));
        Assert.StartsWith("endpoints[\"ep\"]: missing level", error, StringComparison.Ordinal);
    }

    [Fact]
    public void LongInput_IsNeverEchoedBeyond64Characters()
    {
        var longKey = new string('k', 1000);
        Assert.False(Parse(out _, out var keyError, (longKey, "read")));
        Assert.Contains(new string('k', 64), keyError, StringComparison.Ordinal);
        Assert.DoesNotContain(new string('k', 65), keyError, StringComparison.Ordinal);

        var longValue = new string('v', 1000);
        Assert.False(Parse(out _, out var valueError, ("ep", longValue)));
        Assert.Contains(new string('v', 64), valueError, StringComparison.Ordinal);
        Assert.DoesNotContain(new string('v', 65), valueError, StringComparison.Ordinal);
    }

    [Fact]
    public void ControlCharactersAndQuotes_AreNotEchoed()
    {
        Assert.False(Parse(out _, out var error, ("a\"b\nc\\d\u0000e", "read")));
        Assert.StartsWith("endpoints[\"a?b?c?d?e\"]: ", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParseLevel_NamesTheField()
    {
        Assert.True(ScopeValidation.TryParseLevel("graphql", "readwrite", out var level, out var error));
        Assert.Equal(AccessLevel.ReadWrite, level);
        Assert.Null(error);

        Assert.False(ScopeValidation.TryParseLevel("graphql", "Read", out _, out error));
        Assert.StartsWith("graphql: unknown level \"Read\"", error, StringComparison.Ordinal);

        Assert.False(ScopeValidation.TryParseLevel("graphql", null, out _, out error));
        Assert.StartsWith("graphql: missing level", error, StringComparison.Ordinal);
    }
}
