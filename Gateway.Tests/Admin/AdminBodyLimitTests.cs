using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Admin;

/// <summary>
/// Admin bodies over 4 MiB are 413, chunked or not. Found from outside: only Content-Length was checked,
/// so a chunked body was capped by Kestrel's 30 MiB alone. Each body here is valid JSON (padded with white space) that
/// would be applied if its size were not refused, so "nothing was written" proves the refusal, not a parse error.
/// </summary>
public sealed class AdminBodyLimitTests(GatewayTest.Parts parts) : GatewayTest(parts)
{
    private const int Limit = 4 * 1024 * 1024;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task CreateOverTheLimit_Is413_AndNoKeyIsStored(bool chunked)
    {
        var answer = await SendAsync(HttpMethod.Post, "/admin/keys", Padded("{\"name\":\"too big\"", "}", Limit + 1), chunked);

        AssertTooLarge(answer);
        Assert.DoesNotContain(JsonNode.Parse(await Host.Admin.GetStringAsync("/admin/keys"))!["keys"]!.AsArray(),
            k => (string?)k!["name"] == "too big");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task PatchOverTheLimit_Is413_AndTheKeyIsUnchanged(bool chunked)
    {
        var (key, id) = await Host.CreateKeyAsync(new { name = "kept", endpoints = new Dictionary<string, string> { ["*"] = "read" } });

        var answer = await SendAsync(HttpMethod.Patch, $"/admin/keys/{id}", Padded("{\"enabled\":false", "}", Limit + 1), chunked);

        AssertTooLarge(answer);
        Assert.True((bool)JsonNode.Parse(await Host.Admin.GetStringAsync($"/admin/keys/{id}"))!["enabled"]!);
        Assert.Equal(200, (await Host.SendWithKeyAsync(HttpMethod.Get, "/v2/ep1/still-enabled", key)).Status);
    }

    [Fact]
    public async Task ChunkedLegacyImportOverTheLimit_Is413_AndNothingIsImported()
    {
        var legacy = "legacy-" + Guid.NewGuid().ToString("N");
        var answer = await SendAsync(HttpMethod.Post, "/admin/keys/legacy",
            Padded($$"""{"keys":[{"key":"{{legacy}}","name":"too big legacy","graphql":"read"}]""", "}", Limit + 1), chunked: true);

        AssertTooLarge(answer);
        Assert.Equal(401, (await Host.SendWithKeyAsync(HttpMethod.Get, "/v2/ep1/x", legacy)).Status);
    }

    [Fact]
    public async Task AChunkedBodyOfExactlyTheLimit_IsAccepted()
    {
        var answer = await SendAsync(HttpMethod.Post, "/admin/keys", Padded("{\"name\":\"just fits\"", "}", Limit), chunked: true);

        Assert.True(answer.Status == HttpStatusCode.Created, $"{(int)answer.Status} {answer.Text}");
    }

    private static void AssertTooLarge(AdminAnswer answer) => AdminApi.AssertRefused(answer, HttpStatusCode.RequestEntityTooLarge, "payload_too_large");

    // head + white space + tail, exactly `length` bytes: still one valid JSON object.
    private static byte[] Padded(string head, string tail, int length)
    {
        var body = new byte[length];
        body.AsSpan().Fill((byte)' ');
        Encoding.UTF8.GetBytes(head).CopyTo(body, 0);
        Encoding.UTF8.GetBytes(tail).CopyTo(body, length - tail.Length);
        using var valid = System.Text.Json.JsonDocument.Parse(body);
        return body;
    }

    private async Task<AdminAnswer> SendAsync(HttpMethod method, string path, byte[] body, bool chunked)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Content = chunked ? new StreamContent(new NonSeekableStream(body)) : new ByteArrayContent(body);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TransferEncodingChunked = chunked;
        // A body announced too large is refused before a byte of it is read, and the connection is closed; a client that
        // sends 4 MiB regardless would see a broken pipe before the answer. So the test, like curl for large bodies, waits
        // for "100 Continue", which never comes.
        request.Headers.ExpectContinue = !chunked;
        using var response = await Host.Admin.SendAsync(request);
        return new AdminAnswer(response.StatusCode, response.Content.Headers.ContentType?.MediaType, response.Headers.Location,
            await response.Content.ReadAsStringAsync());
    }

    /// <summary>A stream with no length, so HttpClient cannot send a Content-Length.</summary>
    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data, writable: false)
    {
        public override bool CanSeek => false;
    }
}
