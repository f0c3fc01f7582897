using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// A gateway host's clock that only the test moves: TTLs, expiries, Polly's timeouts and the usage flush timer all
/// read the DI <see cref="TimeProvider"/>, so a test steps past a lifetime instead of waiting it out. It starts at
/// the real time, so dates the admin API checks against "now" (expiresAt) stay plausible.
/// </summary>
internal static class FakeClock
{
    public static FakeTimeProvider StartingNow() => new(DateTimeOffset.UtcNow);

    /// <summary>Registers <paramref name="time"/> as the host's clock, over the gateway's own registration.</summary>
    public static void Use(this IServiceCollection services, FakeTimeProvider time) => services.AddSingleton<TimeProvider>(time);

    /// <summary>
    /// Moves the clock by <paramref name="step"/> until <paramref name="pending"/> completes (a request waiting on a
    /// timer of the fake clock: a store timeout, a back-off), and returns it with the fake time that had to pass. The
    /// wait itself is bounded in real time, so a request that no timer would end fails the test instead of hanging it.
    /// </summary>
    public static async Task<(T Result, TimeSpan Advanced)> AdvanceUntilAsync<T>(this FakeTimeProvider time, Task<T> pending, TimeSpan step)
    {
        var advanced = TimeSpan.Zero;
        await Eventually.TrueAsync(() =>
        {
            if (pending.IsCompleted)
            {
                return true;
            }

            time.Advance(step);
            advanced += step;
            return false;
        }, "the request to be answered as the fake clock moves");
        return (await pending, advanced);
    }
}
