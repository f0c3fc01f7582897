using Microsoft.AspNetCore.Routing.Matching;
using Yarp.ReverseProxy.Model;

namespace Gateway.Hosting;

/// <summary>
/// Keeps the two listeners apart inside one routing table: on the admin listener only admin endpoints match,
/// on the proxy listener only proxied routes do. A path the listener does not serve is a 404, whatever the other serves.
/// </summary>
internal sealed class ListenerMatcherPolicy : MatcherPolicy, IEndpointSelectorPolicy
{
    public override int Order => 0;

    public bool AppliesToEndpoints(IReadOnlyList<Endpoint> endpoints) => true;

    public Task ApplyAsync(HttpContext httpContext, CandidateSet candidates)
    {
        var listener = Listeners.Of(httpContext);
        for (var i = 0; i < candidates.Count; i++)
        {
            if (!candidates.IsValidCandidate(i))
            {
                continue;
            }

            var metadata = candidates[i].Endpoint.Metadata;
            var servedHere = listener == Listener.Admin
                ? metadata.GetMetadata<AdminListenerOnlyAttribute>() is not null
                : metadata.GetMetadata<RouteModel>() is not null;
            if (!servedHere)
            {
                candidates.SetValidity(i, false);
            }
        }

        return Task.CompletedTask;
    }
}
