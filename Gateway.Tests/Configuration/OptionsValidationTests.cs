namespace Gateway.Tests.Configuration;

/// <summary>Bad settings stop the start, each named, all reported at once.</summary>
public sealed class OptionsValidationTests
{
    [Theory]
    [InlineData("Cache:L1Ttl", "00:00:00", "L1Ttl")]
    [InlineData("Cache:L1Ttl", "-00:00:01", "L1Ttl")]
    [InlineData("Cache:NegativeTtl", "00:00:00", "NegativeTtl")]
    [InlineData("Cache:StaleIfErrorTtl", "-00:00:01", "StaleIfErrorTtl")]
    [InlineData("Cache:StoreTimeout", "00:00:00", "StoreTimeout")]
    [InlineData("Cache:RefreshAhead", "-00:00:01", "RefreshAhead")]
    [InlineData("Cache:RefreshAhead", "00:00:30", "RefreshAhead")]
    [InlineData("Cache:L1MaxEntries", "0", "L1MaxEntries")]
    [InlineData("Cache:NegativeMaxEntries", "0", "NegativeMaxEntries")]
    [InlineData("Usage:FlushInterval", "00:00:00", "FlushInterval")]
    [InlineData("Usage:RetentionDays", "0", "RetentionDays")]
    [InlineData("Usage:MaxPendingCounters", "0", "MaxPendingCounters")]
    [InlineData("Usage:MaxTargetsPerKey", "0", "MaxTargetsPerKey")]
    [InlineData("Usage:MaxTargetsPerKey", "100001", "MaxTargetsPerKey")]
    [InlineData("KeyScopes:MaxGraphQLBodyBytes", "0", "MaxGraphQLBodyBytes")]
    [InlineData("KeyScopes:MaxGraphQLDepth", "0", "MaxGraphQLDepth")]
    [InlineData("KeyScopes:MaxGraphQLDepth", "61", "MaxGraphQLDepth")]
    [InlineData("KeyScopes:MaxGraphQLTokens", "0", "MaxGraphQLTokens")]
    [InlineData("KeyScopes:MaxGraphQLAliases", "-1", "MaxGraphQLAliases")]
    [InlineData("GraphQLDocumentCache:MaxEntries", "-1", "MaxEntries")]
    [InlineData("GraphQLDocumentCache:MaxDocumentLength", "0", "MaxDocumentLength")]
    [InlineData("Upstreams:serverless:ForwardKeyId", "yes", "ForwardKeyId")]
    public void BadSetting_StopsTheStart_NamingIt(string setting, string value, string named)
    {
        var messages = StartupFailure.Of(settings: new Dictionary<string, string?> { [setting] = value });

        Assert.Contains(named, messages);
    }

    [Fact]
    public void TwoBadCacheSettings_AreBothReported()
    {
        var messages = StartupFailure.Of(settings: new Dictionary<string, string?>
        {
            ["Cache:L1Ttl"] = "00:00:00",
            ["Cache:L1MaxEntries"] = "0",
        });

        Assert.Contains("L1Ttl", messages);
        Assert.Contains("L1MaxEntries", messages);
    }

    [Fact]
    public void BadSettingsInTwoSections_AreBothReported()
    {
        var messages = StartupFailure.Of(settings: new Dictionary<string, string?>
        {
            ["Cache:NegativeTtl"] = "00:00:00",
            ["Usage:FlushInterval"] = "00:00:00",
        });

        Assert.Contains("NegativeTtl", messages);
        Assert.Contains("FlushInterval", messages);
    }
}
