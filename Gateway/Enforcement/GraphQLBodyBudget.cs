using Gateway.Configuration;
using Gateway.Observability;
using Microsoft.Extensions.Options;

namespace Gateway.Enforcement;

/// <summary>
/// The bytes of GraphQL request bodies held by this process at once, against <c>KeyScopes:MaxBufferedGraphQLBytes</c>.
/// Buffers are reserved before they are rented and released when the request ends, so slow or held bodies can pin
/// at most the budget, however many connections hold them.
/// </summary>
public sealed class GraphQLBodyBudget
{
    private readonly IOptionsMonitor<KeyScopesOptions> _options;
    private long _held;

    public GraphQLBodyBudget(IOptionsMonitor<KeyScopesOptions> options, GatewayMetrics metrics)
    {
        _options = options;
        metrics.ObserveBufferedGraphQLBytes(() => HeldBytes);
    }

    /// <summary>Bytes reserved by bodies in flight or being forwarded.</summary>
    public long HeldBytes => Volatile.Read(ref _held);

    /// <summary>Reserves <paramref name="bytes"/>; <c>false</c>, reserving nothing, when that would pass the budget.</summary>
    public bool TryReserve(long bytes)
    {
        var max = _options.CurrentValue.MaxBufferedGraphQLBytes;
        var current = Volatile.Read(ref _held);
        while (true)
        {
            if (current + bytes > max)
            {
                return false;
            }

            var seen = Interlocked.CompareExchange(ref _held, current + bytes, current);
            if (seen == current)
            {
                return true;
            }

            current = seen;
        }
    }

    public void Release(long bytes) => Interlocked.Add(ref _held, -bytes);
}
