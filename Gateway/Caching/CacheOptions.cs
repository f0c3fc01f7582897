using System.ComponentModel.DataAnnotations;

namespace Gateway.Caching;

/// <summary><c>Cache</c>: lifetimes of the in-memory (L1) tier in front of the store.</summary>
public sealed class CacheOptions
{
    public const string Section = "Cache";

    /// <summary>How long a found key is trusted without asking the store; the bound on a lost invalidation.</summary>
    public TimeSpan L1Ttl { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long before a found key's <see cref="L1Ttl"/> ends a request for it starts a background check of the key
    /// against the store (refresh-ahead), so a key in use is not re-read on a request's time. Unset: a quarter of
    /// <see cref="L1Ttl"/> (the sweep checks any key used earlier in its life, so the window only needs to cover a check). <see cref="TimeSpan.Zero"/> turns it off.
    /// </summary>
    public TimeSpan? RefreshAhead { get; set; }

    /// <summary>The refresh-ahead window in force: <see cref="RefreshAhead"/>, or a quarter of <see cref="L1Ttl"/> when unset.</summary>
    internal TimeSpan RefreshAheadOrDefault => RefreshAhead ?? L1Ttl / 4;

    /// <summary>How long a key the store does not know is remembered as unknown.</summary>
    public TimeSpan NegativeTtl { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long past <see cref="L1Ttl"/> a found key keeps working while the store is unreachable.</summary>
    public TimeSpan StaleIfErrorTtl { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Most found keys held in memory; the least recently fetched are evicted past it.</summary>
    [Range(1, int.MaxValue)]
    public int L1MaxEntries { get; set; } = 200_000;

    /// <summary>Most unknown keys remembered; kept apart so a flood of invented keys cannot evict real ones.</summary>
    [Range(1, int.MaxValue)]
    public int NegativeMaxEntries { get; set; } = 100_000;

    /// <summary>Longest a request waits on one store read before it is treated as a store failure.</summary>
    public TimeSpan StoreTimeout { get; set; } = TimeSpan.FromMilliseconds(500);
}
