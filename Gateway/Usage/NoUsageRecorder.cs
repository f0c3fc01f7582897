using Gateway.Keys;

namespace Gateway.Usage;

/// <summary>Counts nothing; stands in until usage counting is configured.</summary>
internal sealed class NoUsageRecorder : IUsageRecorder
{
    public void Record(ApiKey key, KeyDigest digest, ScopeTarget target, bool allowed)
    {
    }
}
