namespace Gateway.RateLimiting;

/// <summary>
/// Once a second: gives back unused lease tokens of keys gone quiet, forgets idle keys, and while Redis is unreachable
/// probes it, so the limits are shared again once it answers.
/// </summary>
internal sealed class RateLimitSweeper(RateLimiter limiter, TimeProvider time) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Idle = TimeSpan.FromMinutes(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                if (limiter.InOutage)
                {
                    if (await limiter.Store.PingAsync().ConfigureAwait(false))
                    {
                        limiter.EndOutage();
                    }

                    continue;
                }

                await limiter.SweepAsync(Idle).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
