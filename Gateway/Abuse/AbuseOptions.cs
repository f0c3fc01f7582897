using System.ComponentModel.DataAnnotations;

namespace Gateway.Abuse;

/// <summary><c>Abuse</c>: how many failed attempts a client address may make before it is slowed down.</summary>
public sealed class AbuseOptions
{
    public const string Section = "Abuse";

    /// <summary>Failed key attempts (<c>invalid_key</c>, <c>ambiguous_key</c>) per client address per window.</summary>
    [Range(1, int.MaxValue)]
    public int FailedKeyAttempts { get; set; } = 30;

    /// <summary>Failed admin-token attempts per client address per window.</summary>
    [Range(1, int.MaxValue)]
    public int FailedAdminAttempts { get; set; } = 5;

    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);
}
