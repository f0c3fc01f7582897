using Gateway.Keys;

namespace Gateway.Usage;

/// <summary>Counts nothing: <c>Usage:Enabled=false</c>, so the cost of counting can be measured against it.</summary>
internal sealed class NoUsage : IUsageRecorder
{
    public static readonly NoUsage Instance = new();

    public void Record(ApiKey key, ScopeTarget target, bool allowed)
    {
    }
}
