using System.Net;
using System.Threading.RateLimiting;

namespace Gateway.Abuse;

/// <summary>
/// Counts failed attempts per client address with the framework's partitioned fixed-window limiter (the one
/// ASP.NET Core's rate-limiting middleware is built on; the middleware itself limits every request, and only
/// failures may count here, so valid keys are never slowed by someone else's guessing).
/// </summary>
public sealed class FailedAttemptLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<IPAddress> _limiter;
    private readonly TimeSpan _window;

    public FailedAttemptLimiter(int permitsPerWindow, TimeSpan window)
    {
        _window = window;
        _limiter = PartitionedRateLimiter.Create<IPAddress, IPAddress>(address =>
            RateLimitPartition.GetFixedWindowLimiter(address, _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = permitsPerWindow,
                Window = window,
                QueueLimit = 0,
                AutoReplenishment = true,
            }));
    }

    /// <summary>Whether the address has no failures left in this window (checked before an attempt is judged).</summary>
    public bool IsBlocked(IPAddress? address) =>
        _limiter.GetStatistics(Normalize(address))?.CurrentAvailablePermits <= 0;

    /// <summary>Counts one failure; <c>false</c> when it is over the limit, with how long to wait.</summary>
    public bool TryCountFailure(IPAddress? address, out int retryAfterSeconds)
    {
        using var lease = _limiter.AttemptAcquire(Normalize(address));
        retryAfterSeconds = lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter)
            ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds))
            : Math.Max(1, (int)Math.Ceiling(_window.TotalSeconds));
        return lease.IsAcquired;
    }

    public int RetryAfterSeconds => Math.Max(1, (int)Math.Ceiling(_window.TotalSeconds));

    public void Dispose() => _limiter.Dispose();

    // IPv4-mapped IPv6 and plain IPv4 are one client; a missing address (in-process tests) is one partition. An IPv6
    // client is counted by its /64: that is one subnet, the least a host or a home is given, and a host picks any
    // address in it at will (privacy addresses), so counting each /128 alone gave an attacker 2^64 fresh budgets and
    // 2^64 limiters to hold in memory. The zone id goes with the low bits.
    internal static IPAddress Normalize(IPAddress? address)
    {
        if (address is null)
        {
            return IPAddress.None;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }

        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            return address;
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes);
    }
}

/// <summary>The two limiters: proxied keys and the admin token.</summary>
public sealed class AbuseLimiters(FailedAttemptLimiter keys, FailedAttemptLimiter admin) : IDisposable
{
    public FailedAttemptLimiter Keys { get; } = keys;

    public FailedAttemptLimiter Admin { get; } = admin;

    public void Dispose()
    {
        Keys.Dispose();
        Admin.Dispose();
    }
}
