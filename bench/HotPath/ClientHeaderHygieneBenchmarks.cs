using BenchmarkDotNet.Attributes;
using Gateway.Enforcement;
using Microsoft.AspNetCore.Http;

namespace HotPath;

/// <summary>
/// <see cref="ClientHeaderHygiene.RemoveFromClient"/> (issue 11) beside what it replaced (<see cref="Previous"/>: the key
/// id's eight named removals, then a walk over the pairs for the client-address headers), in one process, on a
/// request's headers (Kestrel's and <see cref="DefaultHttpContext"/>'s): only common ones (the skipped walk), one other header (the walk, nothing
/// removed), and a spoofed <c>X-Real-IP</c> put back before each call (the walk and a removal).
/// </summary>
[MemoryDiagnoser]
public class ClientHeaderHygieneBenchmarks
{
    [Params("common", "custom", "spoofed")]
    public string Headers { get; set; } = "";

    /// <summary>
    /// Whose dictionary: <c>Kestrel</c>'s (known headers in fields, others in a dictionary; internal, so made by
    /// reflection, as the gateway meets it) or <c>DefaultHttpContext</c>'s (one dictionary).
    /// </summary>
    [Params("Kestrel", "Default")]
    public string Dictionary { get; set; } = "";

    private IHeaderDictionary _headers = null!;

    [GlobalSetup]
    public void Setup()
    {
        _headers = Dictionary == "Kestrel" ? KestrelRequestHeaders() : new DefaultHttpContext().Request.Headers;
        _headers.Host = "gateway.example";
        _headers.UserAgent = "wrk";
        _headers.Accept = "*/*";
        _headers.AcceptEncoding = "gzip";
        if (Headers == "custom")
        {
            _headers["X-Request-Id"] = "abc";
        }
    }

    [Benchmark(Baseline = true)]
    public void Previous()
    {
        Spoof();
        PreviousHygiene.RemoveClientKeyId(_headers);
        PreviousHygiene.RemoveClientAddresses(_headers);
    }

    [Benchmark]
    public void Current()
    {
        Spoof();
        ClientHeaderHygiene.RemoveFromClient(_headers);
    }

    private static IHeaderDictionary KestrelRequestHeaders()
    {
        var type = typeof(Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions).Assembly
            .GetType("Microsoft.AspNetCore.Server.Kestrel.Core.Internal.Http.HttpRequestHeaders", throwOnError: true)!;
        return (IHeaderDictionary)Activator.CreateInstance(type, [true, null])!;
    }

    private void Spoof()
    {
        if (Headers == "spoofed")
        {
            _headers["X-Real-IP"] = "203.0.113.9";
        }
    }

    /// <summary>The two steps as they were before issue 11's change (f3f6b98 and before), kept as the baseline.</summary>
    private static class PreviousHygiene
    {
        private static readonly string[] KeyIdSpellings =
        [
            "X-Gateway-Key-Id", "X_Gateway-Key-Id", "X-Gateway_Key-Id", "X_Gateway_Key-Id",
            "X-Gateway-Key_Id", "X_Gateway-Key_Id", "X-Gateway_Key_Id", "X_Gateway_Key_Id",
        ];

        private static readonly HashSet<string> Names = new(StringComparer.Ordinal)
        {
            "X-REAL-IP", "TRUE-CLIENT-IP", "X-CLIENT-IP", "CF-CONNECTING-IP", "FASTLY-CLIENT-IP", "X-CLUSTER-CLIENT-IP",
            "X-ORIGINAL-FORWARDED-FOR", "X-FORWARDED", "FORWARDED-FOR", "X-FORWARDED-FOR", "X-FORWARDED-HOST",
            "X-FORWARDED-PROTO", "X-FORWARDED-PREFIX", "X-FORWARDED-PORT", "X-FORWARDED-SERVER",
        };

        private static readonly HashSet<string> SetByTheProxy = new(StringComparer.Ordinal)
        {
            "X-FORWARDED-FOR", "X-FORWARDED-HOST", "X-FORWARDED-PROTO", "X-FORWARDED-PREFIX",
        };

        private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> NamesBySpan = Names.GetAlternateLookup<ReadOnlySpan<char>>();
        private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> SetByTheProxyBySpan = SetByTheProxy.GetAlternateLookup<ReadOnlySpan<char>>();

        public static void RemoveClientKeyId(IHeaderDictionary headers)
        {
            foreach (var spelling in KeyIdSpellings)
            {
                headers.Remove(spelling);
            }
        }

        public static void RemoveClientAddresses(IHeaderDictionary headers)
        {
            List<string>? found = null;
            Span<char> normalized = stackalloc char[24];
            foreach (var header in headers)
            {
                var name = header.Key;
                if (name.Length is < 9 or > 24)
                {
                    continue;
                }

                var underscore = false;
                for (var i = 0; i < name.Length; i++)
                {
                    underscore |= name[i] == '_';
                    normalized[i] = name[i] == '_' ? '-' : char.ToUpperInvariant(name[i]);
                }

                var key = normalized[..name.Length];
                if (NamesBySpan.Contains(key) && (underscore || !SetByTheProxyBySpan.Contains(key)))
                {
                    (found ??= []).Add(name);
                }
            }

            foreach (var name in found ?? [])
            {
                headers.Remove(name);
            }
        }
    }
}
