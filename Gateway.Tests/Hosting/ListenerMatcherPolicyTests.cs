using Gateway.Hosting;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Matching;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Model;

namespace Gateway.Tests.Hosting;

/// <summary>
/// The listener split as the routing table is built: which endpoints each listener's branch gets, and which branch a
/// request takes. Deny by default: an endpoint with neither metadata is on no branch, an unknown listener takes none.
/// The wiring (real listeners, reloads, the upstream never reached) is <see cref="ListenerSeparationTests"/>.
/// </summary>
public sealed class ListenerMatcherPolicyTests
{
    private const int Exit = 99;
    private static readonly ListenerMatcherPolicy Policy = new();

    private static readonly Endpoint Admin = Endpoint("admin", new AdminListenerOnlyAttribute());
    private static readonly Endpoint Route = Endpoint("route", ProxiedRoute());
    private static readonly Endpoint Both = Endpoint("both", new AdminListenerOnlyAttribute(), ProxiedRoute());
    private static readonly Endpoint Neither = Endpoint("neither");

    [Fact]
    public void GetEdges_SplitsByMetadata_AndLeavesOutAnEndpointWithNeither()
    {
        var edges = Policy.GetEdges([Admin, Route, Neither, Both]);

        Assert.Equal(2, edges.Count);
        Assert.Equal([Route, Both], Assert.Single(edges, e => (Listener)e.State == Listener.Proxy).Endpoints);
        Assert.Equal([Admin, Both], Assert.Single(edges, e => (Listener)e.State == Listener.Admin).Endpoints);
        Assert.DoesNotContain(edges, e => e.Endpoints.Contains(Neither));
    }

    [Fact]
    public void GetEdges_OnlyEndpointsWithNeither_GivesNoEdge()
    {
        Assert.Empty(Policy.GetEdges([Neither, Endpoint("other")]));
    }

    [Fact]
    public void GetEdges_OnlyAdminEndpoints_GivesTheProxyNoEdge()
    {
        var edge = Assert.Single(Policy.GetEdges([Admin]));

        Assert.Equal(Listener.Admin, (Listener)edge.State);
    }

    [Fact]
    public void AppliesToEveryNodeWithEndpoints_SoNoneIsLeftUnsplit()
    {
        INodeBuilderPolicy nodes = Policy;
        IEndpointSelectorPolicy perRequest = Policy;

        Assert.True(nodes.AppliesToEndpoints([Neither]));
        Assert.True(nodes.AppliesToEndpoints([Route]));
        Assert.False(perRequest.AppliesToEndpoints([Admin, Route, Neither]));
    }

    [Fact]
    public void DynamicEndpoints_AreCheckedPerRequestInstead()
    {
        var dynamic = Endpoint("dynamic", new DynamicMarker(), ProxiedRoute());
        INodeBuilderPolicy nodes = Policy;
        IEndpointSelectorPolicy perRequest = Policy;

        Assert.False(nodes.AppliesToEndpoints([Route, dynamic]));
        Assert.True(perRequest.AppliesToEndpoints([Route, dynamic]));
    }

    [Theory]
    [InlineData(Listener.Proxy, 1)]
    [InlineData(Listener.Admin, 2)]
    [InlineData((Listener)7, Exit)]
    public void JumpTable_TakesTheRequestsListenersBranch_AndAnUnknownListenerNone(Listener listener, int expected)
    {
        var table = Policy.BuildJumpTable(Exit, [new PolicyJumpTableEdge(Listener.Proxy, 1), new PolicyJumpTableEdge(Listener.Admin, 2)]);

        Assert.Equal(expected, table.GetDestination(RequestOn(listener)));
    }

    [Theory]
    [InlineData(Listener.Proxy)]
    [InlineData(Listener.Admin)]
    public void JumpTable_ListenerWithoutAnEdge_TakesTheExit(Listener listener)
    {
        var table = Policy.BuildJumpTable(Exit, []);

        Assert.Equal(Exit, table.GetDestination(RequestOn(listener)));
    }

    [Fact]
    public void JumpTable_UntaggedConnection_CountsAsTheProxy()
    {
        var table = Policy.BuildJumpTable(Exit, [new PolicyJumpTableEdge(Listener.Admin, 2)]);

        Assert.Equal(Exit, table.GetDestination(new DefaultHttpContext()));
    }

    [Theory]
    [InlineData(Listener.Proxy, new[] { "route", "both" })]
    [InlineData(Listener.Admin, new[] { "admin", "both" })]
    [InlineData((Listener)7, new string[0])]
    public async Task PerRequestCheck_KeepsOnlyWhatTheListenerServes(Listener listener, string[] expected)
    {
        var endpoints = new[] { Admin, Route, Both, Neither };
        var candidates = new CandidateSet(endpoints, new RouteValueDictionary[endpoints.Length], new int[endpoints.Length]);

        await ((IEndpointSelectorPolicy)Policy).ApplyAsync(RequestOn(listener), candidates);

        var valid = Enumerable.Range(0, candidates.Count).Where(candidates.IsValidCandidate).Select(i => candidates[i].Endpoint.DisplayName);
        Assert.Equal(expected, valid);
    }

    private static DefaultHttpContext RequestOn(Listener listener)
    {
        var items = new Dictionary<object, object?>();
        Listeners.Tag(items, listener);
        var context = new DefaultHttpContext();
        context.Features.Set<IConnectionItemsFeature>(new ConnectionItems(items));
        return context;
    }

    private static Endpoint Endpoint(string name, params object[] metadata) =>
        new(_ => Task.CompletedTask, new EndpointMetadataCollection(metadata), name);

    private static RouteModel ProxiedRoute() =>
        new(new RouteConfig { RouteId = "r", ClusterId = "c", Match = new RouteMatch { Path = "/{**rest}" } }, cluster: null, Yarp.ReverseProxy.Forwarder.HttpTransformer.Default);

    private sealed class ConnectionItems(IDictionary<object, object?> items) : IConnectionItemsFeature
    {
        public IDictionary<object, object?> Items { get; set; } = items;
    }

    private sealed class DynamicMarker : IDynamicEndpointMetadata
    {
        public bool IsDynamic => true;
    }
}
