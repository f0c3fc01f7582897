using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using Gateway.Caching;
using Gateway.Keys;
using Microsoft.Extensions.Caching.Memory;

namespace HotPath;

/// <summary>
/// The L1 hit alone, the table issue 11 put in (<see cref="DigestTable"/>) beside the one it replaced (<c>Previous</c>:
/// a <c>MemoryCache</c> keyed by a 16-char string of the digest's bytes, looked up by span, with a wall-clock expiry
/// check, as <c>KeyCache</c> did until then), both holding 100,000 keys, in one process so the ratio survives a busy
/// machine. Run with <c>--filter '*L1LookupBenchmarks*' --job short --inProcess</c>.
/// </summary>
[MemoryDiagnoser]
public class L1LookupBenchmarks
{
    private const int Keys = 100_000;
    private readonly TimeProvider _time = TimeProvider.System;
    private MemoryCache _previous = null!;
    private DigestTable _current = null!;
    private KeyDigest _digest;

    [GlobalSetup]
    public void Setup()
    {
        var key = new ApiKey("key_bench", "bench", KeyKind.Rpa, "rpa_abcd", true, DateTimeOffset.UtcNow, null, null, KeyScopes.All);
        _previous = new MemoryCache(new MemoryCacheOptions { SizeLimit = Keys });
        _current = new DigestTable(Keys, DigestTable.ToTimestamp(_time, TimeSpan.FromMinutes(5)), _time);
        var freshUntil = _time.GetTimestamp() + DigestTable.ToTimestamp(_time, TimeSpan.FromHours(1));
        for (var i = 0; i < Keys; i++)
        {
            _digest = KeyDigest.Compute(KeyFormat.Generate());
            var until = _time.GetUtcNow().AddHours(1);
            _previous.Set(Name(_digest), new PreviousEntry(key, until, until), new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = TimeSpan.FromHours(1) });
            _current.Set(_digest, key, freshUntil);
        }

        if (Previous() is null || Current() is null)
        {
            throw new InvalidOperationException("The last key is not a hit.");
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _previous.Dispose();

    [Benchmark(Baseline = true)]
    public ApiKey? Previous()
    {
        var now = _time.GetUtcNow();
        Span<char> name = stackalloc char[16];
        Write(_digest, name);
        return _previous.TryGetValue(name, out PreviousEntry? entry) && entry!.FreshUntil > now ? entry.Key : null;
    }

    [Benchmark]
    public ApiKey? Current()
    {
        var now = _time.GetTimestamp();
        return _current.TryGet(_digest, out var slot) && slot.FreshUntil > now ? slot.Key : null;
    }

    private static string Name(KeyDigest digest) => string.Create(16, digest, static (name, d) => Write(d, name));

    private static void Write(KeyDigest digest, Span<char> name)
    {
        var words = MemoryMarshal.Cast<char, ulong>(name);
        words[0] = digest.A;
        words[1] = digest.B;
        words[2] = digest.C;
        words[3] = digest.D;
    }

    private sealed record PreviousEntry(ApiKey Key, DateTimeOffset FreshUntil, DateTimeOffset StaleUntil);
}
