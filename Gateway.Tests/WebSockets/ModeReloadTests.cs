using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.WebSockets;

/// <summary><c>KeyScopes:GraphQLWebSockets</c> follows config file edits; an invalid value keeps the last valid one.</summary>
public sealed class ModeReloadTests : IAsyncLifetime
{
    private WebSocketUpstream _upstream = null!;
    private GatewayHost _host = null!;
    private string _key = null!;

    public async Task InitializeAsync()
    {
        _upstream = await WebSocketUpstream.StartAsync();
        _host = new GatewayHost(WriteConfig(GatewayHost.WriteConfig(_upstream.Address), "refuse"), TestStore.Configuration, TestStore.UniquePrefix(),
            configureLogging: logging => logging.AddFakeLogging()).Start();
        (_key, _) = await _host.CreateKeyAsync(new { name = "mode", graphql = "read" });
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _upstream.DisposeAsync();
        File.Delete(_host.ConfigPath);
    }

    [Fact]
    public async Task InvalidValue_KeepsRefuse_ThenJudgedApplies()
    {
        Assert.Equal(405, await StatusAsync());

        WriteConfig(_host.ConfigPath, "Judged");
        await Eventually.TrueAsync(async () =>
        {
            Assert.Equal(405, await StatusAsync());
            return _host.FakeLog().Logged("GraphQLWebSockets");
        }, "the invalid value to be refused and logged");

        WriteConfig(_host.ConfigPath, "judged");
        await Eventually.TrueAsync(async () => await StatusAsync() == 101, "judged to apply");
    }

    private async Task<int> StatusAsync()
    {
        using var client = await WsClient.ConnectAsync(_host.Listeners.ProxyUri!, "/graphql", "mode", _key);
        return client.Status;
    }

    private string WriteConfig(string path, string mode)
    {
        var config = GatewayHost.StandardConfig(_upstream.Address);
        config["KeyScopes"] = new JsonObject { ["GraphQLWebSockets"] = mode };
        var temporary = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        File.WriteAllText(temporary, config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        File.Move(temporary, path, overwrite: true);
        return path;
    }
}
