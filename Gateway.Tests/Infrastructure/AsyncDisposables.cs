namespace Gateway.Tests.Infrastructure;

/// <summary>Disposal of a test's parts in a fixed order, skipping those it never started.</summary>
internal static class AsyncDisposables
{
    /// <summary>Disposes each of <paramref name="parts"/> that is not null, one after another, in the order given.</summary>
    public static async Task DisposeInOrderAsync(params IAsyncDisposable?[] parts)
    {
        foreach (var part in parts)
        {
            if (part is not null)
            {
                await part.DisposeAsync();
            }
        }
    }
}
