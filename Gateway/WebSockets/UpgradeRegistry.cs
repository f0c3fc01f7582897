using System.Collections.Concurrent;
using Gateway.Caching;
using Gateway.Configuration;
using Gateway.Keys;
using Gateway.Observability;
using Microsoft.Extensions.Options;

namespace Gateway.WebSockets;

/// <summary>An upgraded connection the gateway can end when its key stops being good enough for it.</summary>
internal interface IUpgradedConnection
{
    /// <summary>Whether the key, as it is now, still grants what the connection was opened with.</summary>
    bool StillAllowed(ApiKey key);

    /// <summary>Ends the connection; <paramref name="reason"/> is a problem code (<c>key_disabled</c>, ...). Idempotent, never throws.</summary>
    void Close(string reason);
}

/// <summary>
/// Every upgraded connection of this instance, by the digest of the key that opened it. Each instance hears every
/// key change through the invalidation channel (<see cref="InvalidationSubscriber"/>), re-resolves the key and
/// closes what it no longer allows; a timer per connection closes it at the key's <c>expiresAt</c> (a roll's grace
/// end included, since a roll moves <c>expiresAt</c> and publishes an invalidation that re-arms the timer).
/// </summary>
internal sealed partial class UpgradeRegistry : IDisposable
{
    private readonly ConcurrentDictionary<KeyDigest, ConcurrentDictionary<Registration, byte>> _byKey = new();
    private readonly IKeyResolver _cache;
    private readonly TimeProvider _time;
    private readonly GatewayMetrics _metrics;
    private readonly ILogger<UpgradeRegistry> _logger;
    private readonly ITimer _sweep;

    public UpgradeRegistry(IKeyResolver cache, TimeProvider time, GatewayMetrics metrics, IOptions<CacheOptions> cacheOptions, ILogger<UpgradeRegistry> logger)
    {
        _cache = cache;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        // Invalidation messages can be lost while pub/sub works badly; a key in L1 is re-read after L1Ttl at the
        // latest, so rechecking every open connection's key that often keeps the same bound for connections.
        var every = cacheOptions.Value.L1Ttl;
        _sweep = time.CreateTimer(_ => RecheckAll(), null, every, every);
    }

    public void Dispose() => _sweep.Dispose();

    private TimeProvider Time => _time;

    private GatewayMetrics Metrics => _metrics;

    /// <summary>Registers <paramref name="connection"/>; dispose the result when the connection ends.</summary>
    public Registration Register(KeyDigest digest, ApiKey key, string kind, IUpgradedConnection connection, System.Net.IPAddress? client = null)
    {
        var registration = new Registration(this, digest, kind, connection) { Client = client };
        _byKey.GetOrAdd(digest, static _ => new ConcurrentDictionary<Registration, byte>()).TryAdd(registration, 0);
        _metrics.UpgradeOpened(kind);
        registration.ArmExpiry(key.ExpiresAt);
        // An invalidation that arrived between the request's key lookup and this registration found nothing to
        // close; one recheck now (an L1 hit when nothing changed) closes that window.
        Recheck(digest);
        return registration;
    }

    public int Count => _byKey.Values.Sum(set => set.Count);

    /// <summary>The key changed somewhere (admin write on any instance): re-resolve it and close what it no longer allows.</summary>
    public void Recheck(KeyDigest digest)
    {
        if (_byKey.TryGetValue(digest, out var set) && !set.IsEmpty)
        {
            _ = RecheckAsync(digest, set);
        }
    }

    /// <summary>Messages may have been missed (store connection restored): recheck every key with a connection.</summary>
    public void RecheckAll()
    {
        foreach (var (digest, set) in _byKey)
        {
            if (!set.IsEmpty)
            {
                _ = RecheckAsync(digest, set);
            }
        }
    }

    private async Task RecheckAsync(KeyDigest digest, ConcurrentDictionary<Registration, byte> set)
    {
        try
        {
            var lookup = await _cache.LookupAsync(digest).ConfigureAwait(false);
            var reason = lookup switch
            {
                // Fails closed: the key just changed and cannot be confirmed, so what it opened is not kept open.
                { Status: LookupStatus.StoreUnavailable } => "store_unavailable",
                { Key: null } => "invalid_key",
                { Key: { } key } => KeyState.Check(key, _time.GetUtcNow()) switch
                {
                    Verdict.Disabled => "key_disabled",
                    Verdict.Expired => "key_expired",
                    _ => null,
                },
            };
            foreach (var registration in set.Keys)
            {
                if (reason is not null)
                {
                    registration.Close(reason);
                }
                else if (!AllowedIps.Allows(lookup.Key!.AllowedIps, registration.Client))
                {
                    // The key's allow-list changed and no longer holds the address the connection was opened from.
                    registration.Close("ip_not_allowed");
                }
                else if (!registration.Connection.StillAllowed(lookup.Key!))
                {
                    registration.Close("scope_denied");
                }
                else
                {
                    registration.ArmExpiry(lookup.Key!.ExpiresAt);
                }
            }
        }
        catch (Exception ex)
        {
            // Runs detached from any request; an unexpected failure must not go unobserved, and fails closed.
            Log.RecheckFailed(_logger, ex);
            foreach (var registration in set.Keys)
            {
                registration.Close("store_unavailable");
            }
        }
    }

    private void Remove(Registration registration)
    {
        if (_byKey.TryGetValue(registration.Digest, out var set))
        {
            set.TryRemove(registration, out _);
            if (set.IsEmpty)
            {
                // A racing Register may have added to this set since; removing only an empty set by value keeps it.
                _byKey.TryRemove(new KeyValuePair<KeyDigest, ConcurrentDictionary<Registration, byte>>(registration.Digest, set));
            }
        }
    }

    /// <summary>One registered connection; <see cref="Close"/> ends it with a reason, disposing unregisters it.</summary>
    internal sealed class Registration(UpgradeRegistry registry, KeyDigest digest, string kind, IUpgradedConnection connection) : IDisposable
    {
        private readonly Lock _gate = new();
        private ITimer? _expiry;
        private string? _closedFor;
        private bool _disposed;

        public KeyDigest Digest => digest;

        /// <summary>The client address the upgrade was judged with (contract §8); null when unknown (then any allow-list closes it).</summary>
        public System.Net.IPAddress? Client { get; init; }

        public IUpgradedConnection Connection => connection;

        public void ArmExpiry(DateTimeOffset? expiresAt)
        {
            lock (_gate)
            {
                _expiry?.Dispose();
                _expiry = null;
                if (_disposed || expiresAt is not { } at)
                {
                    return;
                }

                var due = at - registry.Time.GetUtcNow();
                // Fires at the instant the key expires; the recheck then finds it expired (or re-arms, if it was extended).
                _expiry = registry.Time.CreateTimer(_ => registry.Recheck(digest), null, due > TimeSpan.Zero ? due : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
            }
        }

        public void Close(string reason)
        {
            lock (_gate)
            {
                if (_closedFor is not null || _disposed)
                {
                    return;
                }

                _closedFor = reason;
            }

            registry.Metrics.UpgradeClosed(kind, reason);
            connection.Close(reason);
        }

        public void Dispose()
        {
            string? closedFor;
            lock (_gate)
            {
                if (_disposed)
                {
                    return;
                }

                _disposed = true;
                closedFor = _closedFor;
                _expiry?.Dispose();
                _expiry = null;
            }

            if (closedFor is null)
            {
                registry.Metrics.UpgradeClosed(kind, "ended");
            }

            registry.Metrics.UpgradeEnded(kind);
            registry.Remove(this);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 900, Level = LogLevel.Error, Message = "Rechecking the key of upgraded connections failed; they were closed.")]
        public static partial void RecheckFailed(ILogger logger, Exception exception);
    }
}
