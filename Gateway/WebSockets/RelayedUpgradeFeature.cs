using Microsoft.AspNetCore.Http.Features;

namespace Gateway.WebSockets;

/// <summary>
/// Stands in for the server's upgrade features on a relayed GraphQL request, so YARP still forwards the upgrade
/// (destinations, load balancing, transforms, HTTP/2 to the upstream all apply) but is handed one end of an
/// in-memory pipe instead of the client's stream, whose other end is the judging relay.
/// </summary>
internal sealed class RelayedUpgradeFeature(HttpContext context, IHttpUpgradeFeature? upgrade, IHttpExtendedConnectFeature? connect, GraphQLWebSocketRelay relay)
    : IHttpUpgradeFeature, IHttpExtendedConnectFeature
{
    public bool IsUpgradableRequest => upgrade?.IsUpgradableRequest == true;

    public bool IsExtendedConnect => connect?.IsExtendedConnect == true;

    public string? Protocol => connect?.Protocol;

    public static void Install(HttpContext context, GraphQLWebSocketRelay relay)
    {
        var upgrade = context.Features.Get<IHttpUpgradeFeature>();
        var connect = context.Features.Get<IHttpExtendedConnectFeature>();
        var feature = new RelayedUpgradeFeature(context, upgrade, connect, relay);
        if (upgrade is not null)
        {
            context.Features.Set<IHttpUpgradeFeature>(feature);
        }

        if (connect is not null)
        {
            context.Features.Set<IHttpExtendedConnectFeature>(feature);
        }
    }

    public async Task<Stream> UpgradeAsync()
    {
        var chosen = PrepareResponse();
        var client = await upgrade!.UpgradeAsync().ConfigureAwait(false);
        return relay.Attach(client, chosen);
    }

    public async ValueTask<Stream> AcceptAsync()
    {
        var chosen = PrepareResponse();
        var client = await connect!.AcceptAsync().ConfigureAwait(false);
        return relay.Attach(client, chosen);
    }

    /// <summary>The upstream's answer, as the client will see it: no extension (none was offered), its one subprotocol.</summary>
    private string? PrepareResponse()
    {
        // The relay reads and writes uncompressed frames; an extension the client believed in would garble them.
        context.Response.Headers.Remove("Sec-WebSocket-Extensions");
        var chosen = context.Response.Headers["Sec-WebSocket-Protocol"];
        return chosen.Count == 1 ? chosen.ToString().Trim() : null;
    }
}
