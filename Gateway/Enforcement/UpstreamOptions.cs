namespace Gateway.Configuration;

/// <summary><c>Upstreams:&lt;clusterId&gt;</c>: per-cluster credentials the gateway sends in place of the client's key.</summary>
public sealed class UpstreamOptions
{
    public const string Section = "Upstreams";

    public string? Authorization { get; set; }
}
