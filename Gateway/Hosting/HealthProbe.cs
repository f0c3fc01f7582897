namespace Gateway.Hosting;

/// <summary>
/// <c>Gateway --healthcheck</c>: asks the admin listener's <c>/healthz</c> and exits 0 or 1, so a container
/// HEALTHCHECK needs no curl in the image.
/// </summary>
public static class HealthProbe
{
    public const string Flag = "--healthcheck";

    public static async Task<int> RunAsync(string? adminUrl)
    {
        var url = (adminUrl ?? Listeners.DefaultAdminUrl)
            .Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal)
            .Replace("[::]", "[::1]", StringComparison.Ordinal)
            .Replace("://*", "://127.0.0.1", StringComparison.Ordinal)
            .Replace("://+", "://127.0.0.1", StringComparison.Ordinal);
        try
        {
            using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
            using var response = await client.GetAsync(new Uri(new Uri(url), "/healthz")).ConfigureAwait(false);
            return response.IsSuccessStatusCode ? 0 : 1;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or UriFormatException)
        {
            return 1;
        }
    }
}
