namespace Gateway.Tests.Cli;

/// <summary>An admin URL that hangs, or that answers with something other than the admin API.</summary>
public sealed class KeysCliBadServerTests
{
    [Fact]
    public async Task AdminApiTimesOut_Exit1_WithAClearMessage()
    {
        // The exception HttpClient throws when its Timeout passes, without waiting the 30 s for a real one.
        using var handler = new StubHandler(_ => throw new TaskCanceledException("timed out", new TimeoutException()));
        var run = await RunAsync(handler);

        Assert.True(run.Exit == 1, run.ToString());
        Assert.Contains("did not answer within 30 s", run.Err);
    }

    [Fact]
    public async Task AnswerIsNotJson_Exit1_WithAClearMessage()
    {
        using var handler = new StubHandler(_ => new HttpResponseMessage(System.Net.HttpStatusCode.OK)
        {
            Content = new StringContent("<!doctype html><p>some other web server</p>", System.Text.Encoding.UTF8, "text/html"),
        });
        var run = await RunAsync(handler);

        Assert.True(run.Exit == 1, run.ToString());
        Assert.Contains("not the admin API's JSON", run.Err);
    }

    private static async Task<CliRun> RunAsync(HttpMessageHandler handler)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exit = await Gateway.Cli.KeysCli.RunAsync(["list", "--url", "http://127.0.0.1:9/", "--token", "t"], stdout, stderr, handler);
        return new CliRun(exit, stdout.ToString(), stderr.ToString());
    }

    private sealed class StubHandler(Func<HttpRequestMessage, HttpResponseMessage> answer) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(answer(request));
    }
}
