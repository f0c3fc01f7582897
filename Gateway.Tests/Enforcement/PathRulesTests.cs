using Gateway.Enforcement;

namespace Gateway.Tests.Enforcement;

/// <summary>
/// Encoded slash or backslash (any case), a backslash, a ';' (raw or %3B, any case), or an empty segment
/// in the path is invalid_path. The raw target and the decoded path are both checked, since Kestrel decodes once.
/// </summary>
public class PathRulesTests
{
    [Theory]
    [InlineData("/v2/ep1/run")]
    [InlineData("/v2/ep1/status/job-1")]
    [InlineData("/v2/ep1/run?x=1;y=2")]
    [InlineData("/v2/ep1/run?a=%3B&b=%2F")]
    [InlineData("/v2/ep1/run#;")]
    [InlineData("/v2/ep1/x%20y")]
    [InlineData("/v2/ep1/%25")]
    [InlineData("/v2/ep1/%3")]
    [InlineData("/v2/ep1/%3C")]
    public void Target_WithoutForbiddenPieces_IsSafe(string target)
    {
        var path = target.Split('?', '#')[0];
        Assert.True(PathRules.IsSafe(target, path.Replace("%20", " ", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("/v2/ep1/..;/ep2/run")]
    [InlineData("/v2/ep1/..;x=y/ep2/run")]
    [InlineData("/v2/ep1;/run")]
    [InlineData("/v2/ep1/run;")]
    [InlineData(";/v2/ep1/run")]
    [InlineData("/v2/ep1/..%3B/ep2/run")]
    [InlineData("/v2/ep1/..%3b/ep2/run")]
    [InlineData("/v2/ep1/%2e%2e;/ep2/run")]
    [InlineData("/v2/ep1/%2E%2E%3B/ep2/run")]
    [InlineData("/v2/ep1%2Fep2/run")]
    [InlineData("/v2/ep1%5cep2/run")]
    [InlineData("/v2/ep1\\ep2/run")]
    [InlineData("/v2/ep1//run")]
    public void RawTarget_WithForbiddenPiece_IsRefused(string target)
    {
        Assert.False(PathRules.IsSafe(target, "/v2/ep1/run"));
    }

    /// <summary>What Kestrel's single decoding leaves behind: %253B arrives as %3B, %3B as ';'.</summary>
    [Theory]
    [InlineData("/v2/ep1/..;/ep2/run")]
    [InlineData("/v2/ep1/..%3B/ep2/run")]
    [InlineData("/v2/ep1/..%3b/ep2/run")]
    [InlineData("/v2/ep1/%2F/run")]
    [InlineData("/v2/ep1/%5C/run")]
    public void DecodedPath_WithForbiddenPiece_IsRefused(string decodedPath)
    {
        Assert.False(PathRules.IsSafe("/v2/ep1/run", decodedPath));
    }

    /// <summary>%253B holds no ';' and no %3B as sent; only the decoded path shows it, so both must be checked.</summary>
    [Theory]
    [InlineData("/v2/ep1/..%253B/ep2/run", "/v2/ep1/..%3B/ep2/run")]
    [InlineData("/v2/ep1/..%253b/ep2/run", "/v2/ep1/..%3b/ep2/run")]
    [InlineData("/v2/ep1%252Fep2/run", "/v2/ep1%2Fep2/run")]
    public void DoubleEncoding_IsRefusedByTheDecodedPath(string rawTarget, string decodedPath)
    {
        Assert.True(PathRules.IsSafe(rawTarget, "/v2/ep1/run"));
        Assert.False(PathRules.IsSafe(rawTarget, decodedPath));
    }

    [Fact]
    public void NoRawTarget_OnlyTheDecodedPathIsChecked()
    {
        Assert.True(PathRules.IsSafe(null, "/v2/ep1/run"));
        Assert.False(PathRules.IsSafe(null, "/v2/ep1;/run"));
    }
}
