using Gateway.Keys;

namespace Gateway.Usage;

/// <summary>Counts a judged request for a known key. Called on the request path: it must never wait on I/O.</summary>
public interface IUsageRecorder
{
    void Record(ApiKey key, ScopeTarget target, bool allowed);

    /// <summary>Counts a request refused by the key's rate limits (<c>&lt;target&gt;:limited</c>, contract §9).</summary>
    void RecordLimited(ApiKey key, ScopeTarget target)
    {
    }
}
