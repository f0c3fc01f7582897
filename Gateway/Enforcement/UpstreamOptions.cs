namespace Gateway.Enforcement;

/// <summary><c>Upstreams:&lt;clusterId&gt;</c>: per-cluster credentials the gateway sends in place of the client's key.</summary>
public sealed class UpstreamOptions
{
    public const string Section = "Upstreams";

    public string? Authorization { get; set; }

    /// <summary>Whether forwarded requests carry <c>X-Gateway-Key-Id</c>, the id of the key that was judged (default false).</summary>
    public bool ForwardKeyId { get; set; }
}
