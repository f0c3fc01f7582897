using Polly;

namespace Gateway.Caching;

/// <summary>
/// A seam for fault injection (Polly's chaos strategies) at the store boundary: registered implementations add
/// their strategies innermost in the store read pipeline, inside the timeout and the circuit breaker, so injected
/// latency is cut off by the timeout and injected faults trip the breaker exactly as real ones would. The gateway
/// registers none; tests do.
/// </summary>
public interface IStoreReadChaos
{
    void Configure(ResiliencePipelineBuilder builder);
}
