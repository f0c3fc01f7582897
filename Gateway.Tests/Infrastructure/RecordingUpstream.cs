using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Infrastructure;

/// <summary>What an upstream received, exactly as it arrived.</summary>
public sealed record RecordedRequest(string Method, string RawTarget, string Path, string Query, IReadOnlyDictionary<string, string[]> Headers, byte[] Body)
{
    /// <summary>When the request arrived, as a <see cref="System.Diagnostics.Stopwatch"/> timestamp (rate-limit accuracy tests).</summary>
    public long ArrivedAt { get; init; }

    public string? Header(string name) =>
        Headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value is { } values
            ? string.Join(",", values)
            : null;

    /// <summary>Whether <paramref name="secret"/> appears anywhere in what the upstream saw.</summary>
    public bool Contains(string secret) =>
        RawTarget.Contains(secret, StringComparison.Ordinal)
        || Headers.Any(h => h.Key.Contains(secret, StringComparison.Ordinal) || h.Value.Any(v => v.Contains(secret, StringComparison.Ordinal)))
        || System.Text.Encoding.UTF8.GetString(Body).Contains(secret, StringComparison.Ordinal);
}

/// <summary>A real Kestrel upstream on a free loopback port that keeps every request it receives.</summary>
public sealed class RecordingUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<RecordedRequest> _received = new();

    private RecordingUpstream(WebApplication app) => _app = app;

    public Uri Address { get; private set; } = null!;

    public IReadOnlyCollection<RecordedRequest> Received => _received.ToArray();

    public int Count => _received.Count;

    public static async Task<RecordingUpstream> StartAsync()
    {
        var builder = UpstreamBuilder.Create();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(System.Net.IPAddress.Loopback, 0));
        var app = builder.Build();
        var upstream = new RecordingUpstream(app);
        app.Run(upstream.RecordAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        upstream.Address = new Uri(address.EndsWith('/') ? address : address + "/");
        return upstream;
    }

    public void Clear() => _received.Clear();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task RecordAsync(HttpContext context)
    {
        var arrivedAt = System.Diagnostics.Stopwatch.GetTimestamp();
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body);
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.Select(v => v ?? "").ToArray(), StringComparer.OrdinalIgnoreCase);
        _received.Enqueue(new RecordedRequest(
            context.Request.Method,
            context.Features.Get<IHttpRequestFeature>()!.RawTarget,
            context.Request.Path.Value ?? "",
            context.Request.QueryString.Value ?? "",
            headers,
            body.ToArray())
        {
            ArrivedAt = arrivedAt,
        });
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync("{\"ok\":true}");
    }
}
