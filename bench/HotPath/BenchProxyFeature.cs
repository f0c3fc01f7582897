using Gateway.Configuration;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace HotPath;

/// <summary>What YARP's routing puts on a request before the proxy pipeline runs: the route (with its KeyScope) and the cluster.</summary>
internal sealed class BenchProxyFeature(RouteKeyScope scope) : IReverseProxyFeature
{
    public RouteModel Route { get; } = new(
        new RouteConfig
        {
            RouteId = "bench",
            ClusterId = "serverless",
            Metadata = new Dictionary<string, string> { [RouteKeyScopes.MetadataKey] = scope.ToString() },
        },
        null,
        HttpTransformer.Default);

    public ClusterModel Cluster { get; set; } = new(new ClusterConfig { ClusterId = "serverless" }, new HttpMessageInvoker(new SocketsHttpHandler()));

    public IReadOnlyList<DestinationState> AllDestinations { get; } = [];

    public IReadOnlyList<DestinationState> AvailableDestinations { get; set; } = [];

    public DestinationState? ProxiedDestination { get; set; }
}

/// <summary>An options monitor that never changes.</summary>
internal sealed class FixedOptions<T>(T value) : IOptionsMonitor<T>
{
    public T CurrentValue => value;

    public T Get(string? name) => value;

    public IDisposable? OnChange(Action<T, string?> listener) => null;
}
