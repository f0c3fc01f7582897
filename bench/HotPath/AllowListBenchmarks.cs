using System.Net;
using BenchmarkDotNet.Attributes;
using Gateway.Keys;

namespace HotPath;

/// <summary>
/// The allow-list decision the enforcement step makes after the key's state (<see cref="AllowedIps.Allows"/>), on blocks
/// parsed when the key was cached. <c>NoList</c> is what every key without <c>allowedIps</c> pays (the middleware tests
/// the length before calling; this is the call itself): it must allocate nothing. The others show that a key with a
/// list allocates nothing either, except a mapped client matched in its other form (one <see cref="IPAddress"/>).
/// </summary>
[MemoryDiagnoser]
public class AllowListBenchmarks
{
    private static readonly IPAddress V4Client = IPAddress.Parse("10.1.2.3");
    private static readonly IPAddress MappedClient = IPAddress.Parse("::ffff:10.1.2.3");
    private static readonly IPAddress V6Client = IPAddress.Parse("2001:db8::1");
    private IPNetwork[] _none = [];
    private IPNetwork[] _ten = [];

    [GlobalSetup]
    public void Setup()
    {
        _none = AllowedIps.Decode("")!;
        // Ten blocks, the IPv4 match last, as a list with a few offices and a VPN would be.
        _ten = AllowedIps.Decode(string.Join(',', Enumerable.Range(1, 9).Select(i => $"192.0.{i}.0/24").Append("10.0.0.0/8")))!;
    }

    [Benchmark(Baseline = true)]
    public bool NoList() => AllowedIps.Allows(_none, V4Client);

    [Benchmark]
    public bool TenBlocksV4Match() => AllowedIps.Allows(_ten, V4Client);

    [Benchmark]
    public bool TenBlocksV6Refused() => AllowedIps.Allows(_ten, V6Client);

    [Benchmark]
    public bool TenBlocksMappedMatch() => AllowedIps.Allows(_ten, MappedClient);
}
