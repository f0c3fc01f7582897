using Gateway.Tests.Enforcement;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Fuzzing;

/// <summary>
/// One real gateway and recording upstream for the fuzz properties that go through HTTP. <see cref="Key"/> may
/// read GraphQL (no more) and read and write the endpoint <c>granted</c> (no other).
/// </summary>
public sealed class GatewayFuzzFixture : IAsyncLifetime
{
    public const string MarkerHeader = "X-Fuzz-Case";

    public RecordingUpstream Upstream { get; private set; } = null!;

    public GatewayHost Host { get; private set; } = null!;

    public string Key { get; private set; } = null!;

    public Uri ProxyUri => Host.Listeners.ProxyUri!;

    public async Task InitializeAsync()
    {
        Upstream = await RecordingUpstream.StartAsync();
        Host = new GatewayHost(GatewayHost.WriteConfig(Upstream.Address), TestStore.Configuration, TestStore.UniquePrefix()).Start();
        Key = (await Host.CreateKeyAsync(new
        {
            name = "fuzz",
            graphql = "read",
            endpoints = new Dictionary<string, string> { [PathModel.Granted] = "readwrite" },
        })).Key;
    }

    public async Task DisposeAsync()
    {
        var configPath = Host.ConfigPath;
        await Host.DisposeAsync();
        await Upstream.DisposeAsync();
        File.Delete(configPath);
    }

    /// <summary>What the upstream received for the case marked <paramref name="marker"/>, or null when nothing reached it.</summary>
    public RecordedRequest? Forwarded(string marker) =>
        Upstream.Received.FirstOrDefault(seen => seen.Header(MarkerHeader) == marker);

    /// <summary>Sends through HttpClient with the fixture's key and a case marker.</summary>
    public async Task<ProxyResponse> SendAsync(string marker, HttpMethod method, string target, HttpContent? content)
    {
        using var request = new HttpRequestMessage(method, target) { Content = content };
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + Key);
        request.Headers.TryAddWithoutValidation(MarkerHeader, marker);
        using var response = await Host.Proxy.SendAsync(request);
        return await ProxyResponse.FromAsync(response);
    }

    /// <summary>Sends the request line exactly as given (UTF-8 bytes written one by one), with the key and a case marker.</summary>
    public Task<ProxyResponse> RawAsync(string marker, string method, string target) =>
        RawHttp.SendAsync(ProxyUri, method, PathModel.AsWireText(target), [$"{MarkerHeader}: {marker}", "Authorization: Bearer " + Key]);
}
