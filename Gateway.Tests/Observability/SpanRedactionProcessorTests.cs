using System.Diagnostics;
using Gateway.Observability;

namespace Gateway.Tests.Observability;

/// <summary>The gateway's own redaction of span URL attributes, which holds when the instrumentations' is turned off.</summary>
public sealed class SpanRedactionProcessorTests
{
    [Theory]
    [InlineData("url.query", "api_key=lg-0123456789abcdef0123&x=1", "api_key=[redacted]&x=1")]
    [InlineData("url.query", "?x=1&API_KEY=lg-0123456789abcdef0123", "?x=1&API_KEY=[redacted]")]
    [InlineData("url.query", "x=1&api%5Fkey=lg-0123456789abcdef0123", "x=1&api%5Fkey=[redacted]")]
    [InlineData("url.full", "http://up:80/v2/ep-1/run?api_key=lg-0123456789abcdef0123&x=1", "http://up:80/v2/ep-1/run?api_key=[redacted]&x=1")]
    [InlineData("http.url", "http://up/graphql?Api_Key=lg-0123456789abcdef0123", "http://up/graphql?Api_Key=[redacted]")]
    [InlineData("url.query", "x=1&y=2", "x=1&y=2")]
    [InlineData("url.path", "/v2/ep-1/run", "/v2/ep-1/run")]
    public void UrlAttributes_LoseTheKey_AndKeepTheRest(string name, string value, string expected)
    {
        using var activity = new Activity("request");
        activity.SetTag(name, value);
        activity.SetTag("gateway.decision", "allowed");

        new SpanRedactionProcessor().OnEnd(activity);

        Assert.Equal(expected, activity.GetTagItem(name));
        Assert.Equal("allowed", activity.GetTagItem("gateway.decision"));
    }
}
