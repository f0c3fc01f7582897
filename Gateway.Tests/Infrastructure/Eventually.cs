using System.Diagnostics;

namespace Gateway.Tests.Infrastructure;

/// <summary>Polls a condition with a bounded deadline: the tests' only way to wait for something asynchronous.</summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultDeadline = TimeSpan.FromSeconds(10);

    public static async Task TrueAsync(Func<Task<bool>> condition, string what, TimeSpan? deadline = null)
    {
        var clock = Stopwatch.StartNew();
        var limit = deadline ?? DefaultDeadline;
        while (true)
        {
            if (await condition())
            {
                return;
            }

            if (clock.Elapsed > limit)
            {
                throw new TimeoutException($"Waited {limit.TotalSeconds:0.#} s for {what}.");
            }

            await Task.Delay(10);
        }
    }

    public static Task TrueAsync(Func<bool> condition, string what, TimeSpan? deadline = null) =>
        TrueAsync(() => Task.FromResult(condition()), what, deadline);

    /// <summary>Polls until <paramref name="condition"/> holds and returns how long it took.</summary>
    public static async Task<TimeSpan> TimeUntilAsync(Func<Task<bool>> condition, string what, TimeSpan? deadline = null)
    {
        var clock = Stopwatch.StartNew();
        await TrueAsync(condition, what, deadline);
        return clock.Elapsed;
    }
}
