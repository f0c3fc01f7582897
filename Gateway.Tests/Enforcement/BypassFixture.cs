using System.IO.Hashing;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Store;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Enforcement;

/// <summary>
/// One gateway and recording upstream for every bypass attempt. <see cref="Key"/> has endpoints
/// <c>{"granted": "readwrite", "readable": "read"}</c> and graphql <c>read</c>; <see cref="OtherKey"/> has the same
/// scopes, so two keys in one request differ only in being two.
/// </summary>
public sealed class BypassFixture : IAsyncLifetime
{
    /// <summary>Every request of a case carries this header with the case's own value.</summary>
    public const string MarkerHeader = "X-Bypass-Case";

    public RecordingUpstream Upstream { get; private set; } = null!;

    public GatewayHost Host { get; private set; } = null!;

    public string Key { get; private set; } = null!;

    public string OtherKey { get; private set; } = null!;

    public Uri ProxyUri => Host.Listeners.ProxyUri!;

    /// <summary>Store reads made for presented keys: a key refused by its form must not add one.</summary>
    public long StoreLookups => Caching.CacheProbe.StoreReads(Host);

    public async Task InitializeAsync()
    {
        Upstream = await RecordingUpstream.StartAsync();
        // A Public route beside the standard two, for the checks that hold on every route (the method's case).
        var config = GatewayHost.WriteConfig(Upstream.Address, c => c["ReverseProxy"]!["Routes"]!["open"] = new JsonObject
        {
            ["ClusterId"] = "serverless",
            ["Match"] = new JsonObject { ["Path"] = "/open/{**rest}" },
            ["Metadata"] = new JsonObject { ["KeyScope"] = "Public" },
        });
        Host = new GatewayHost(config, TestStore.Configuration, TestStore.UniquePrefix()).Start();
        var scopes = new
        {
            graphql = "read",
            endpoints = new Dictionary<string, string> { ["granted"] = "readwrite", ["readable"] = "read" },
        };
        Key = (await Host.CreateKeyAsync(new { name = "bypass", scopes.graphql, scopes.endpoints })).Key;
        OtherKey = (await Host.CreateKeyAsync(new { name = "bypass other", scopes.graphql, scopes.endpoints })).Key;
    }

    public async Task DisposeAsync()
    {
        var configPath = Host.ConfigPath;
        await Host.DisposeAsync();
        await Upstream.DisposeAsync();
        File.Delete(configPath);
    }

    /// <summary>Sends through HttpClient with <c>Authorization: Bearer Key</c> unless <paramref name="authorization"/> says otherwise ("" = none).</summary>
    public async Task<ProxyResponse> SendAsync(
        string marker, HttpMethod method, string target, HttpContent? content = null, string? authorization = null, Action<HttpRequestMessage>? edit = null)
    {
        using var request = new HttpRequestMessage(method, target) { Content = content };
        request.Headers.TryAddWithoutValidation(MarkerHeader, marker);
        authorization ??= "Bearer " + Key;
        if (authorization.Length > 0)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        edit?.Invoke(request);
        using var response = await Host.Proxy.SendAsync(request);
        return await ProxyResponse.FromAsync(response);
    }

    /// <summary>Sends the exact request line and header lines, with <c>Authorization: Bearer Key</c> unless <paramref name="withKey"/> is false.</summary>
    public Task<ProxyResponse> RawAsync(
        string marker, string method, string target, IEnumerable<string>? headerLines = null, byte[]? body = null, bool withKey = true, bool chunked = false)
    {
        var lines = new List<string> { $"{MarkerHeader}: {marker}" };
        if (withKey)
        {
            lines.Add("Authorization: Bearer " + Key);
        }

        lines.AddRange(headerLines ?? []);
        return RawHttp.SendAsync(ProxyUri, method, target, lines, body, chunked);
    }

    public static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    public static StringContent GraphQLDocument(string body) => new(body, Encoding.UTF8, "application/graphql");

    /// <summary>
    /// A well-formed <c>rpa_</c> key no one created, built from the README's "How a request is judged" section alone: 30 random base62 characters and
    /// the CRC-32 of their ASCII bytes as six big-endian base62 digits.
    /// </summary>
    public static string InventedRpaKey()
    {
        const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        var random = RandomNumberGenerator.GetString(Alphabet, 30);
        var crc = Crc32.HashToUInt32(Encoding.ASCII.GetBytes(random));
        var checksum = new char[6];
        for (var i = 5; i >= 0; i--)
        {
            checksum[i] = Alphabet[(int)(crc % 62)];
            crc /= 62;
        }

        return "rpa_" + random + new string(checksum);
    }

    /// <summary>The same key with its last checksum digit changed: a mistype the checksum must catch.</summary>
    public static string WithBadChecksum(string key) => key[..^1] + (key[^1] == '0' ? '1' : '0');
}
