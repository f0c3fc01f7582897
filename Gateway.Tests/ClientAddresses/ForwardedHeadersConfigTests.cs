using Gateway.Tests.Configuration;

namespace Gateway.Tests.ClientAddresses;

/// <summary><c>ForwardedHeaders</c> entries are checked at start: every bad one is named, and the gateway does not run.</summary>
public sealed class ForwardedHeadersConfigTests
{
    [Fact]
    public void BadEntries_FailTheStart_NamingEachKey()
    {
        var messages = StartupFailure.Of(settings: new Dictionary<string, string?>
        {
            ["ForwardedHeaders:KnownProxies:0"] = "10.0.0.0/8",
            ["ForwardedHeaders:KnownProxies:1"] = "proxy.internal",
            ["ForwardedHeaders:KnownNetworks:0"] = "10.1.2.3/8",
            ["ForwardedHeaders:ForwardLimit"] = "0",
        });

        Assert.Contains("ForwardedHeaders:KnownProxies:0", messages, StringComparison.Ordinal);
        Assert.Contains("ForwardedHeaders:KnownProxies:1", messages, StringComparison.Ordinal);
        Assert.Contains("ForwardedHeaders:KnownNetworks:0", messages, StringComparison.Ordinal);
        Assert.Contains("ForwardLimit", messages, StringComparison.Ordinal);
    }
}
