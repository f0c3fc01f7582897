using System.ComponentModel.DataAnnotations;

namespace Gateway.Usage;

/// <summary><c>Usage</c>: how counters reach Redis.</summary>
public sealed class UsageOptions
{
    public const string Section = "Usage";

    /// <summary>Whether requests are counted at all; off only to measure what counting costs (bench/usage-cost.sh).</summary>
    public bool Enabled { get; set; } = true;

    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(1);

    [Range(1, 3650)]
    public int RetentionDays { get; set; } = 90;

    /// <summary>
    /// Most distinct counters (key, UTC day, target) held in memory, flushed or not. In its last tenth, new targets
    /// of every key go to that key's <c>other</c> counter; past it, a key with no <c>other</c> counter yet has its
    /// counts dropped (counted in <c>gateway_usage_dropped_total</c>) while requests keep being served.
    /// </summary>
    [Range(1, int.MaxValue)]
    public int MaxPendingCounters { get; set; } = 1_000_000;

    /// <summary>
    /// Most targets counted separately per key and UTC day (README, "Usage"); requests for any further target are
    /// counted under the key's <c>other</c> target, so one key spraying endpoint ids cannot crowd out the others.
    /// </summary>
    [Range(1, 100_000)]
    public int MaxTargetsPerKey { get; set; } = 1000;
}
