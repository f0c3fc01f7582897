using Microsoft.AspNetCore.Routing.Matching;
using Yarp.ReverseProxy.Model;

namespace Gateway.Hosting;

/// <summary>
/// Keeps the two listeners apart inside one routing table: on the admin listener only admin endpoints match
/// (<see cref="AdminListenerOnlyAttribute"/>), on the proxy listener only proxied routes do (YARP's
/// <see cref="RouteModel"/>). A path the listener does not serve is a 404, whatever the other serves. Fails closed: an
/// endpoint with neither metadata is served on no listener, and a listener this policy does not know gets no endpoint.
/// </summary>
/// <remarks>
/// Decided when the routing table is built (again on every YARP route reload), not per request: each path's endpoints
/// are split by listener into one branch each, and a request takes its listener's branch with one lookup on its
/// connection. An endpoint-selector policy that applied everywhere cost every request a candidate set and a pass over
/// it, and took the matcher off its single-candidate fast path. Dynamic endpoints (replaced only at request time) cannot
/// be split in advance; should any appear, they are checked per request instead, by the same rule.
/// </remarks>
internal sealed class ListenerMatcherPolicy : MatcherPolicy, INodeBuilderPolicy, IEndpointSelectorPolicy
{
    // After HttpMethodMatcherPolicy (-1000) and HostMatcherPolicy (-100): their 405 endpoints carry neither metadata, so
    // a method the route does not take is a 404 on both listeners, as before.
    public override int Order => 0;

    bool INodeBuilderPolicy.AppliesToEndpoints(IReadOnlyList<Endpoint> endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        // Every node with endpoints: deny by default means an endpoint reaches a listener only through an edge below.
        return endpoints.Count != 0 && !ContainsDynamicEndpoints(endpoints);
    }

    bool IEndpointSelectorPolicy.AppliesToEndpoints(IReadOnlyList<Endpoint> endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        return ContainsDynamicEndpoints(endpoints);
    }

    public IReadOnlyList<PolicyNodeEdge> GetEdges(IReadOnlyList<Endpoint> endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        List<Endpoint>? proxy = null;
        List<Endpoint>? admin = null;
        foreach (var endpoint in endpoints)
        {
            if (ServedOn(endpoint, Listener.Proxy))
            {
                (proxy ??= []).Add(endpoint);
            }

            if (ServedOn(endpoint, Listener.Admin))
            {
                (admin ??= []).Add(endpoint);
            }
        }

        // No edge for a listener that serves none of them: its requests take the exit (no endpoint, a 404).
        var edges = new List<PolicyNodeEdge>(2);
        if (proxy is not null)
        {
            edges.Add(new PolicyNodeEdge(Listener.Proxy, proxy));
        }

        if (admin is not null)
        {
            edges.Add(new PolicyNodeEdge(Listener.Admin, admin));
        }

        return edges;
    }

    public PolicyJumpTable BuildJumpTable(int exitDestination, IReadOnlyList<PolicyJumpTableEdge> edges)
    {
        ArgumentNullException.ThrowIfNull(edges);
        int proxy = exitDestination, admin = exitDestination;
        foreach (var edge in edges)
        {
            switch ((Listener)edge.State)
            {
                case Listener.Proxy:
                    proxy = edge.Destination;
                    break;
                case Listener.Admin:
                    admin = edge.Destination;
                    break;
                default:
                    throw new InvalidOperationException($"Unknown listener '{edge.State}' in a routing edge.");
            }
        }

        return new ListenerJumpTable(proxy, admin, exitDestination);
    }

    public Task ApplyAsync(HttpContext httpContext, CandidateSet candidates)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        ArgumentNullException.ThrowIfNull(candidates);
        var listener = Listeners.Of(httpContext);
        for (var i = 0; i < candidates.Count; i++)
        {
            if (candidates.IsValidCandidate(i) && !ServedOn(candidates[i].Endpoint, listener))
            {
                candidates.SetValidity(i, false);
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>The one rule: admin endpoints on the admin listener, YARP's routes on the proxy listener, nothing else anywhere.</summary>
    internal static bool ServedOn(Endpoint endpoint, Listener listener) => listener switch
    {
        Listener.Admin => endpoint.Metadata.GetMetadata<AdminListenerOnlyAttribute>() is not null,
        Listener.Proxy => endpoint.Metadata.GetMetadata<RouteModel>() is not null,
        _ => false,
    };

    private sealed class ListenerJumpTable(int proxy, int admin, int exit) : PolicyJumpTable
    {
        public override int GetDestination(HttpContext httpContext) => Listeners.Of(httpContext) switch
        {
            Listener.Proxy => proxy,
            Listener.Admin => admin,
            _ => exit,
        };
    }
}
