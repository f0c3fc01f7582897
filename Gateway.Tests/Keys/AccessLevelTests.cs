using Gateway.Keys;

namespace Gateway.Tests.Keys;

public sealed class AccessLevelTests
{
    [Theory]
    [InlineData("none", AccessLevel.None)]
    [InlineData("read", AccessLevel.Read)]
    [InlineData("readwrite", AccessLevel.ReadWrite)]
    public void TryParse_LowercaseWireForms(string wire, AccessLevel expected)
    {
        Assert.True(AccessLevels.TryParse(wire, out var level));
        Assert.Equal(expected, level);
        Assert.Equal(wire, level.ToWire());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Read")]
    [InlineData("READ")]
    [InlineData("None")]
    [InlineData("ReadWrite")]
    [InlineData("readWrite")]
    [InlineData("read ")]
    [InlineData(" read")]
    [InlineData("read_write")]
    [InlineData("read-write")]
    [InlineData("write")]
    [InlineData("all")]
    [InlineData("0")]
    [InlineData("1")]
    [InlineData("ｒｅａｄ")]
    public void TryParse_AnythingElse_IsRefused(string? wire)
    {
        Assert.False(AccessLevels.TryParse(wire, out var level));
        Assert.Equal(AccessLevel.None, level);
    }

    [Fact]
    public void Levels_AreOrdered()
    {
        Assert.Equal(0, (int)AccessLevel.None);
        Assert.Equal(1, (int)AccessLevel.Read);
        Assert.Equal(2, (int)AccessLevel.ReadWrite);
    }

    [Fact]
    public void ToWire_UndefinedLevel_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ((AccessLevel)3).ToWire());
        Assert.False(((AccessLevel)3).IsDefined());
        Assert.True(AccessLevel.ReadWrite.IsDefined());
    }

    [Theory]
    [InlineData("rpa", KeyKind.Rpa)]
    [InlineData("legacy", KeyKind.Legacy)]
    public void KeyKinds_WireForms(string wire, KeyKind expected)
    {
        Assert.True(KeyKinds.TryParse(wire, out var kind));
        Assert.Equal(expected, kind);
        Assert.Equal(wire, kind.ToWire());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("RPA")]
    [InlineData("Legacy")]
    [InlineData("rpa_")]
    [InlineData("other")]
    public void KeyKinds_AnythingElse_IsRefused(string? wire)
    {
        Assert.False(KeyKinds.TryParse(wire, out _));
    }

    [Fact]
    public void KeyKinds_UndefinedKind_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ((KeyKind)9).ToWire());
    }
}
