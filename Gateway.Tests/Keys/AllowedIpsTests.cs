using System.Net;
using Gateway.Keys;

namespace Gateway.Tests.Keys;

/// <summary>The allow-list's parsing, canonical form, record field and decision (contract §8), directly.</summary>
public sealed class AllowedIpsTests
{
    [Theory]
    [InlineData("203.0.113.7", "203.0.113.7")]
    [InlineData("203.0.113.7/32", "203.0.113.7")]
    [InlineData(" 10.0.0.0/8 ", "10.0.0.0/8")]
    [InlineData("0.0.0.0/0", "0.0.0.0/0")]
    [InlineData("2001:DB8::/32", "2001:db8::/32")]
    [InlineData("2001:db8:0:0::1", "2001:db8::1")]
    [InlineData("::ffff:10.0.0.0/104", "::ffff:10.0.0.0/104")]
    [InlineData("::/0", "::/0")]
    public void Valid_IsStoredInCanonicalForm(string entry, string canonical)
    {
        Assert.Null(AllowedIps.TryParse([entry], out var blocks));
        Assert.Equal(canonical, AllowedIps.Format(Assert.Single(blocks)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("10")]
    [InlineData("10.1")]
    [InlineData("010.1.2.3")]
    [InlineData("0x0a.1.2.3")]
    [InlineData("10.0.0.0/33")]
    [InlineData("10.0.0.0/")]
    [InlineData("10.0.0.0/+8")]
    [InlineData("10.0.0.0/08x")]
    [InlineData("10.1.2.3/8")]
    [InlineData("2001:db8::1/32")]
    [InlineData("2001:db8::/129")]
    [InlineData("fe80::1%eth0")]
    [InlineData("fe80::%1/64")]
    [InlineData("[::1]")]
    [InlineData("[::1]:80")]
    [InlineData("10.0.0.1:80")]
    [InlineData("example.com")]
    [InlineData("10.0.0.0/8,10.1.0.0/16")]
    public void Invalid_IsRefused_NamingTheEntry(string entry)
    {
        var problem = AllowedIps.TryParse([entry], out _);

        Assert.NotNull(problem);
        Assert.Contains($"'{entry.Trim()}'", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void HostBitsSet_NamesTheBlockItMeant()
    {
        Assert.Contains("10.0.0.0/8", AllowedIps.TryParse(["10.1.2.3/8"], out _), StringComparison.Ordinal);
    }

    [Fact]
    public void MoreThanAHundred_IsRefused_AndDuplicatesAreKeptOnce()
    {
        var entries = Enumerable.Range(0, 101).Select(i => $"10.0.{i}.0/24").ToArray();
        Assert.Equal("at most 100 entries", AllowedIps.TryParse(entries, out _));

        Assert.Null(AllowedIps.TryParse(entries[..100], out var hundred));
        Assert.Equal(100, hundred.Length);

        Assert.Null(AllowedIps.TryParse(["10.0.0.1", "10.0.0.1/32", " 10.0.0.1"], out var once));
        Assert.Single(once);
        Assert.Equal("entries must be strings", AllowedIps.TryParse([null], out _));
    }

    [Fact]
    public void RecordField_RoundTrips_AndADamagedOneIsNull()
    {
        Assert.Null(AllowedIps.TryParse(["10.0.0.0/8", "203.0.113.7", "2001:db8::/32"], out var blocks));
        var field = AllowedIps.Encode(blocks);

        Assert.Equal("10.0.0.0/8,203.0.113.7,2001:db8::/32", field);
        Assert.Equal(blocks, AllowedIps.Decode(field));
        Assert.Empty(AllowedIps.Decode("")!);
        Assert.Empty(AllowedIps.Decode(null)!);
        Assert.Null(AllowedIps.Decode("10.0.0.0/8,nonsense"));
        Assert.Null(AllowedIps.Decode(","));
    }

    [Theory]
    [InlineData("10.0.0.0/8", "10.1.2.3", true)]
    [InlineData("10.0.0.0/8", "11.1.2.3", false)]
    [InlineData("10.0.0.0/8", "::ffff:10.1.2.3", true)]
    [InlineData("10.0.0.0/8", "::ffff:11.1.2.3", false)]
    [InlineData("10.0.0.0/8", "::10.1.2.3", false)]
    [InlineData("10.0.0.0/8", "2001:db8::1", false)]
    [InlineData("::ffff:0:0/96", "192.0.2.1", true)]
    [InlineData("::ffff:10.0.0.0/104", "10.9.9.9", true)]
    [InlineData("::ffff:10.0.0.0/104", "11.9.9.9", false)]
    [InlineData("2001:db8::/32", "2001:db8:ffff::1", true)]
    [InlineData("2001:db8::/32", "2001:db9::1", false)]
    [InlineData("fe80::/10", "fe80::1%2", true)]
    [InlineData("203.0.113.7", "203.0.113.7", true)]
    [InlineData("203.0.113.7", "203.0.113.8", false)]
    [InlineData("::1", "127.0.0.1", false)]
    [InlineData("127.0.0.1", "::1", false)]
    public void Allows_ByBlock_WithIPv4MappedFormsEitherWay(string block, string client, bool allowed)
    {
        Assert.Null(AllowedIps.TryParse([block], out var blocks));

        Assert.Equal(allowed, AllowedIps.Allows(blocks, IPAddress.Parse(client)));
    }

    [Fact]
    public void NoBlocks_AllowsAny_EvenAnUnknownAddress_AndBlocksRefuseAnUnknownAddress()
    {
        Assert.True(AllowedIps.Allows([], null));
        Assert.True(AllowedIps.Allows([], IPAddress.Parse("198.51.100.1")));
        Assert.Null(AllowedIps.TryParse(["0.0.0.0/0"], out var any));
        Assert.False(AllowedIps.Allows(any, null));
    }
}
