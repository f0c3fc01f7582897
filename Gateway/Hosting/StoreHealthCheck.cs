using Gateway.Store;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Gateway.Hosting;

/// <summary><c>/readyz</c>: ready while the key store answers a PING within a second.</summary>
internal sealed class StoreHealthCheck(KeyStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await store.PingAsync().WaitAsync(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy("store reachable");
        }
        catch (Exception ex)
        {
            return HealthCheckResult.Unhealthy("store unreachable: " + ex.GetType().Name);
        }
    }
}
