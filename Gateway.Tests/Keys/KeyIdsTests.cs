using Gateway.Keys;

namespace Gateway.Tests.Keys;

public sealed class KeyIdsTests
{
    [Fact]
    public void NewId_HasPrefixLengthAndAlphabet()
    {
        for (var i = 0; i < 200; i++)
        {
            var id = KeyIds.NewId();
            Assert.Equal(24, id.Length);
            Assert.Matches("^key_[0-9A-Za-z]{20}$", id);
            Assert.True(KeyIds.IsWellFormed(id));
        }
    }

    [Fact]
    public void NewId_1000AreDistinct() =>
        Assert.Equal(1000, Enumerable.Range(0, 1000).Select(_ => KeyIds.NewId()).Distinct(StringComparer.Ordinal).Count());

    [Theory]
    [InlineData("")]
    [InlineData("key_")]
    [InlineData("key_0000000000000000000")] // 19
    [InlineData("key_000000000000000000000")] // 21
    [InlineData("KEY_00000000000000000000")]
    [InlineData("rpa_00000000000000000000")]
    [InlineData("key_0000000000000000000-")]
    [InlineData("key_000000000000000000/0")]
    public void IsWellFormed_RefusesOtherShapes(string id) => Assert.False(KeyIds.IsWellFormed(id));
}
