using System.ComponentModel.DataAnnotations;

namespace Gateway.Audit;

/// <summary><c>Audit</c>: how much of the admin change history is kept.</summary>
public sealed class AuditOptions
{
    public const string Section = "Audit";

    /// <summary>Entries kept (oldest trimmed first); the stream is trimmed approximately, so slightly more may remain.</summary>
    [Range(100, 100_000_000)]
    public int MaxEntries { get; set; } = 100_000;
}
