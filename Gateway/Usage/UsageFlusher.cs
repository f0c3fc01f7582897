using Gateway.Configuration;
using Gateway.Observability;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Gateway.Usage;

/// <summary>
/// Writes usage deltas to Redis every <c>Usage:FlushInterval</c>. A failed batch is kept and retried with backoff
/// under the same sequence number (so a part Redis applied before its reply was lost is not applied twice) while new counts
/// keep accumulating in memory; on graceful shutdown everything left is flushed before the store closes.
/// </summary>
internal sealed partial class UsageFlusher(
    UsageCounters counters,
    UsageStore store,
    IOptions<UsageOptions> options,
    TimeProvider time,
    GatewayMetrics metrics,
    ILogger<UsageFlusher> logger) : BackgroundService
{
    private readonly TimeSpan _interval = options.Value.FlushInterval;
    private UsageBatch? _pending;

    // The batches' sequence: one batch at a time is pending, and a newer one is made only once it has landed, so
    // each marker in Redis only ever sees this writer's sequences go up (UsageScript).
    private long _sequence;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var retry = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(ex => ex is not OperationCanceledException),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                Delay = _interval,
                MaxDelay = TimeSpan.FromSeconds(30),
                UseJitter = true,
                OnRetry = args =>
                {
                    metrics.UsageFlushFailed();
                    Log.FlushFailed(logger, args.AttemptNumber + 1, args.Outcome.Exception?.GetType().Name ?? "?", args.Outcome.Exception?.Message ?? "");
                    return ValueTask.CompletedTask;
                },
            })
            .AddTimeout(TimeSpan.FromSeconds(10))
            .Build();

        using var timer = new PeriodicTimer(_interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                _pending ??= NextBatch();
                if (_pending is { } batch)
                {
                    await retry.ExecuteAsync(async token => await store.ApplyAsync(batch).WaitAsync(token).ConfigureAwait(false), stoppingToken).ConfigureAwait(false);
                    _pending = null;
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutdown: StopAsync flushes what is left.
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        await FlushRemainingAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Flushes everything held, retrying until it lands or <paramref name="cancellationToken"/> (the shutdown timeout) fires.</summary>
    public async Task FlushRemainingAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            _pending ??= NextBatch();
            if (_pending is not { } batch)
            {
                return;
            }

            try
            {
                await store.ApplyAsync(batch).WaitAsync(cancellationToken).ConfigureAwait(false);
                _pending = null;
                continue;
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                metrics.UsageFlushFailed();
                Log.FlushFailed(logger, 0, ex.GetType().Name, ex.Message);
            }
            catch (Exception) when (cancellationToken.IsCancellationRequested)
            {
                // Falls through to the report below: the shutdown timeout fired, or was already past when an attempt
                // failed on its own (a store not connected fails before it waits, whatever the token says).
            }

            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200), time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                Log.LostAtShutdown(logger, batch.Unwritten);
                return;
            }
        }
    }

    private UsageBatch? NextBatch()
    {
        var deltas = counters.Drain();
        return deltas.Count == 0 ? null : new UsageBatch(++_sequence, deltas);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "Usage flush attempt {Attempt} failed ({Error}: {Message}); counts are kept and retried.")]
        public static partial void FlushFailed(ILogger logger, int attempt, string error, string message);

        [LoggerMessage(EventId = 301, Level = LogLevel.Error, Message = "Shutdown ended before usage reached the store; {Count} counted requests were not written.")]
        public static partial void LostAtShutdown(ILogger logger, long count);
    }
}
