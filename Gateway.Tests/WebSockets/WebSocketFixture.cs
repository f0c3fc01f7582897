using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.WebSockets;

/// <summary>
/// One gateway in front of a recording WebSocket upstream. <see cref="ReadKey"/> has graphql <c>read</c> and
/// endpoints <c>{"ep1": "read"}</c>; <see cref="WriteKey"/> has graphql <c>readwrite</c> and endpoints
/// <c>{"ep1": "readwrite"}</c>. GraphQL messages are limited to <see cref="MaxMessageBytes"/>.
/// </summary>
public class WebSocketFixture : IAsyncLifetime
{
    public const int MaxMessageBytes = 64 * 1024;

    public WebSocketUpstream Upstream { get; private set; } = null!;

    public GatewayHost Host { get; private set; } = null!;

    public string ReadKey { get; private set; } = null!;

    public string WriteKey { get; private set; } = null!;

    public Uri Proxy => Host.Listeners.ProxyUri!;

    protected virtual IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["KeyScopes:MaxGraphQLBodyBytes"] = MaxMessageBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    public async Task InitializeAsync()
    {
        Upstream = await WebSocketUpstream.StartAsync();
        try
        {
            Host = new GatewayHost(GatewayHost.WriteConfig(Upstream.Address), TestStore.Configuration, TestStore.UniquePrefix(), Settings).Start();
            ReadKey = (await Host.CreateKeyAsync(new { name = "ws read", graphql = "read", endpoints = new Dictionary<string, string> { ["ep1"] = "read" } })).Key;
            WriteKey = (await Host.CreateKeyAsync(new { name = "ws write", graphql = "readwrite", endpoints = new Dictionary<string, string> { ["ep1"] = "readwrite" } })).Key;
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        if (Host is not null)
        {
            var path = Host.ConfigPath;
            await Host.DisposeAsync();
            File.Delete(path);
        }

        await Upstream.DisposeAsync();
    }

    public Task<WsClient> GraphQLAsync(string marker, string key, string[]? protocols = null, string query = "", Action<System.Net.WebSockets.ClientWebSocketOptions>? edit = null) =>
        WsClient.ConnectAsync(Proxy, "/graphql" + query, marker, key, protocols, edit);
}

/// <summary>The same gateway with <c>KeyScopes:GraphQLWebSockets</c> <c>refuse</c>.</summary>
public sealed class RefusingWebSocketFixture : WebSocketFixture
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["KeyScopes:GraphQLWebSockets"] = "refuse",
    };
}

/// <summary>The same gateway with its proxy listener speaking HTTP/2 only (cleartext, prior knowledge), for extended CONNECT.</summary>
public sealed class Http2WebSocketFixture : WebSocketFixture
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["KeyScopes:MaxGraphQLBodyBytes"] = MaxMessageBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Kestrel:Endpoints:Proxy:Protocols"] = "Http2",
    };
}
