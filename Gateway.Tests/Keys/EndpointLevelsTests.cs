using Gateway.Keys;
using Gateway.Store;
using StackExchange.Redis;

namespace Gateway.Tests.Keys;

/// <summary>
/// The compact endpoint map L1 holds per key (issue 11), and the codec's reading of the stored JSON straight into it:
/// same answers as the dictionary it replaced, shared instances for the common shapes, damaged records refused.
/// </summary>
public sealed class EndpointLevelsTests
{
    private const AccessLevel N = AccessLevel.None;
    private const AccessLevel R = AccessLevel.Read;
    private const AccessLevel RW = AccessLevel.ReadWrite;

    [Fact]
    public void CommonShapes_AreSharedInstances()
    {
        Assert.Same(KeyScopes.All, KeyScopes.Of(RW, EndpointLevels.From(new Dictionary<string, AccessLevel> { ["*"] = RW })));
        Assert.Same(KeyScopes.ReadOnly, KeyScopes.Of(R, EndpointLevels.Any(R)));
        Assert.Same(KeyScopes.ForLegacy(R), KeyScopes.ForLegacy(R));
        Assert.Same(KeyScopes.None, KeyScopes.Of(N, EndpointLevels.Empty));
        Assert.Same(EndpointLevels.Empty, EndpointLevels.From(new Dictionary<string, AccessLevel>()));
    }

    [Fact]
    public void Lookup_ExactIdThenStarThenNone()
    {
        var levels = EndpointLevels.From(new Dictionary<string, AccessLevel> { ["b"] = RW, ["a"] = N, ["*"] = R });

        Assert.Equal(RW, levels.ForEndpoint("b"));
        Assert.Equal(N, levels.ForEndpoint("a"));
        Assert.Equal(R, levels.ForEndpoint("c"));
        Assert.Equal(N, EndpointLevels.From(new Dictionary<string, AccessLevel> { ["b"] = RW }).ForEndpoint("B"));
        Assert.Equal(["*", "a", "b"], levels.Keys);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(40)]
    public void Lookup_FindsEveryIdAndNoOther_ScannedOrHalved(int count)
    {
        var map = Enumerable.Range(0, count).ToDictionary(i => "ep" + i, i => (AccessLevel)(i % 3), StringComparer.Ordinal);
        var levels = EndpointLevels.From(map);

        Assert.Equal(count, levels.Count);
        foreach (var (id, level) in map)
        {
            Assert.True(levels.TryGetValue(id, out var found));
            Assert.Equal(level, found);
        }

        Assert.False(levels.TryGetValue("ep", out _));
        Assert.False(levels.TryGetValue("ep" + count, out _));
        Assert.Equal(N, levels.ForEndpoint("zz"));
    }

    [Fact]
    public void Decode_CommonShape_HoldsTheSharedScopes()
    {
        var key = KeyRecordCodec.Decode(Record("""{"*":"readwrite"}""", "readwrite"));

        Assert.Same(KeyScopes.All, key!.Scopes);
    }

    [Fact]
    public void Decode_EncodedScopes_RoundTrip()
    {
        var scopes = new KeyScopes(R, new Dictionary<string, AccessLevel> { ["ep-1"] = RW, ["ep_2"] = N, ["*"] = R });
        var key = KeyRecordCodec.Decode(Record(KeyRecordCodec.EncodeEndpoints(scopes.Endpoints), "read"));

        Assert.Equal(scopes, key!.Scopes);
        Assert.Equal(RW, key.Scopes.ForEndpoint("ep-1"));
        Assert.Equal(R, key.Scopes.ForEndpoint("other"));
    }

    [Theory]
    [InlineData("""["*"]""")]
    [InlineData("""null""")]
    [InlineData("""{"*":"Read"}""")]
    [InlineData("""{"*":null}""")]
    [InlineData("""{"*":2}""")]
    [InlineData("""{"*":{"a":"read"}}""")]
    [InlineData("""{"*":"read"} {}""")]
    [InlineData("{\"*\":\"read")]
    [InlineData("""{"*":"read",}""")]
    [InlineData("")]
    public void Decode_DamagedEndpoints_IsNoRecord(string json)
    {
        Assert.Null(KeyRecordCodec.Decode(Record(json, "read")));
    }

    [Fact]
    public void Decode_EscapedJson_ReadsAsTheSerializerDid()
    {
        var key = KeyRecordCodec.Decode(Record("""{"\u002a":"rea\u0064","ep1":"none"}""", "none"));

        Assert.Equal(R, key!.Scopes.ForEndpoint("other"));
        Assert.Equal(N, key.Scopes.ForEndpoint("ep1"));
    }

    private static HashEntry[] Record(string endpoints, string graphql) =>
    [
        new(KeyRecordCodec.Id, "key_00000000000000000001"),
        new(KeyRecordCodec.Name, "n"),
        new(KeyRecordCodec.Kind, "rpa"),
        new(KeyRecordCodec.Prefix, "rpa_abcd"),
        new(KeyRecordCodec.Enabled, 1),
        new(KeyRecordCodec.CreatedAt, 1),
        new(KeyRecordCodec.GraphQL, graphql),
        new(KeyRecordCodec.Endpoints, endpoints),
    ];
}
