using System.Text;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Configuration;

/// <summary>Starts a gateway that is expected not to start, and returns every message in what it threw.</summary>
internal static class StartupFailure
{
    // Nothing listens here: a gateway that refuses to start never forwards.
    private static readonly Uri NoUpstream = new("http://127.0.0.1:9/");

    public static string Of(Action<JsonObject>? editConfig = null, IDictionary<string, string?>? settings = null)
    {
        // The file stays: a host that failed to start still watches it, and would log a failed reload of a deletion.
        var config = GatewayHost.WriteConfig(NoUpstream, editConfig);
        using var host = new GatewayHost(config, TestStore.Configuration, TestStore.UniquePrefix(), settings);
        var thrown = Assert.ThrowsAny<Exception>(() => host.Start());
        return Messages(thrown);
    }

    public static string Messages(Exception thrown)
    {
        var text = new StringBuilder();
        Walk(thrown);
        return text.ToString();

        void Walk(Exception e)
        {
            text.AppendLine(e.Message);
            if (e is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions)
                {
                    Walk(inner);
                }
            }
            else if (e.InnerException is { } inner)
            {
                Walk(inner);
            }
        }
    }

    public static JsonObject Routes(JsonObject config) => config["ReverseProxy"]!["Routes"]!.AsObject();

    public static JsonObject Route(string path, string? keyScope, string cluster = "serverless")
    {
        var route = new JsonObject { ["ClusterId"] = cluster, ["Match"] = new JsonObject { ["Path"] = path } };
        if (keyScope is not null)
        {
            route["Metadata"] = new JsonObject { ["KeyScope"] = keyScope };
        }

        return route;
    }
}
