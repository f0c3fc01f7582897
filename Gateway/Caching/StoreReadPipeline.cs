using Gateway.Configuration;
using Gateway.Observability;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Gateway.Caching;

/// <summary>
/// Polly around store reads on the request path: a timeout so a slow Redis costs a request at most
/// <see cref="CacheOptions.StoreTimeout"/>, and a circuit breaker so a dead one costs nothing while it is open.
/// </summary>
internal static class StoreReadPipeline
{
    public static readonly TimeSpan BreakDuration = TimeSpan.FromSeconds(5);

    public static ResiliencePipeline Create(CacheOptions options, TimeProvider timeProvider, GatewayMetrics metrics, IEnumerable<IStoreReadChaos> chaos)
    {
        var builder = new ResiliencePipelineBuilder { TimeProvider = timeProvider }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                FailureRatio = 0.5,
                MinimumThroughput = 10,
                SamplingDuration = TimeSpan.FromSeconds(10),
                BreakDuration = BreakDuration,
                ShouldHandle = new PredicateBuilder().Handle<Exception>(ex => ex is not BrokenCircuitException),
                OnOpened = _ => Report(metrics, 1),
                OnHalfOpened = _ => Report(metrics, 2),
                OnClosed = _ => Report(metrics, 0),
            })
            .AddTimeout(new TimeoutStrategyOptions { Timeout = options.StoreTimeout });
        foreach (var strategy in chaos)
        {
            strategy.Configure(builder);
        }

        return builder.Build();
    }

    private static ValueTask Report(GatewayMetrics metrics, int state)
    {
        metrics.CircuitState(state);
        return ValueTask.CompletedTask;
    }
}
