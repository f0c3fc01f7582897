using Gateway.Observability;

namespace Gateway.Tests.Observability;

// LogRedaction: what the redacting logger factory removes from every log text.
public class LogRedactionTests
{
    private const string Key = "rpa_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789";
    private const string Hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    [Theory]
    [InlineData("Request starting HTTP/1.1 GET http://h/graphql?query=%7Ba%7D&api_key=legacy-secret-123 - - -",
        "Request starting HTTP/1.1 GET http://h/graphql?query=%7Ba%7D&api_key=[redacted] - - -")]
    [InlineData("?API_KEY=legacy-secret-123", "?API_KEY=[redacted]")]
    [InlineData("?api%5Fkey=legacy-secret-123&x=1", "?api%5Fkey=[redacted]&x=1")]
    // A raw '#' is part of the value as the query parser reads it (a legacy key may hold one): redacted with it.
    [InlineData("?x=1&%61pi_key=legacy-secret-123#frag", "?x=1&%61pi_key=[redacted]")]
    [InlineData("?api_key=a&api_key=b", "?api_key=[redacted]&api_key=[redacted]")]
    [InlineData("Invalid request target: '/v2/x%00/run?api_key=legacy-secret-123'", "Invalid request target: '/v2/x%00/run?api_key=[redacted]")]
    [InlineData("Invalid request header: 'Authorization Bearer legacy-secret-123\\x0D\\x0A'", "Invalid request header: 'Authorization [redacted]")]
    [InlineData("authorization: Bearer legacy-secret-123\nnext line", "authorization: [redacted]\nnext line")]
    [InlineData("found " + Key + " here", "found rpa_[redacted] here")]
    [InlineData("HGETALL gw:key:" + Hash + ", inst: 0", "HGETALL gw:key:[redacted], inst: 0")]
    public void Credentials_AreRedacted(string text, string expected)
    {
        Assert.True(LogRedaction.MayHold(text));
        Assert.Equal(expected, LogRedaction.Redact(text));
    }

    [Theory]
    [InlineData("Request finished HTTP/1.1 GET http://h/v2/abc/status - 200 11 application/json 0.5ms")]
    [InlineData("?api_keys=not-the-parameter&xapi_key=nor-this")]
    [InlineData("an rpa_ key with a bad checksum")]
    [InlineData("trace 4bf92f3577b34da6a3ce929d0e0e4736")]
    public void OtherText_IsKept(string text)
    {
        Assert.Equal(text, LogRedaction.Redact(text));
    }

    [Fact]
    public void PlainText_IsRecognisedAsClean_WithoutWork()
    {
        Assert.False(LogRedaction.MayHold("Store unreachable (TimeoutRejectedException); refusing a key not held in memory."));
        Assert.False(LogRedaction.MayHold(null));
    }
}
