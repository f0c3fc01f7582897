using Gateway.Keys;

namespace Gateway.Tests.Keys;

public sealed class KeyScopesTests
{
    private const AccessLevel N = AccessLevel.None;
    private const AccessLevel R = AccessLevel.Read;
    private const AccessLevel RW = AccessLevel.ReadWrite;

    private static KeyScopes Scopes(AccessLevel graphQL, params (string Endpoint, AccessLevel Level)[] endpoints) =>
        new(graphQL, endpoints.ToDictionary(e => e.Endpoint, e => e.Level, StringComparer.Ordinal));

    [Fact]
    public void None_HasNoAccess()
    {
        Assert.Equal(N, KeyScopes.None.GraphQL);
        Assert.Empty(KeyScopes.None.Endpoints);
        Assert.Equal(N, KeyScopes.None.ForEndpoint("anything"));
        Assert.Equal("restricted", KeyScopes.None.Permission);
    }

    [Fact]
    public void ForEndpoint_SpecificEntryWinsOverWildcard()
    {
        var scopes = Scopes(N, ("*", R), ("ep1", RW), ("ep2", N));
        Assert.Equal(RW, scopes.ForEndpoint("ep1"));
        Assert.Equal(N, scopes.ForEndpoint("ep2")); // a specific none overrides "*"
        Assert.Equal(R, scopes.ForEndpoint("ep3"));
    }

    [Fact]
    public void ForEndpoint_SpecificNoneOverridesWildcardReadWrite()
    {
        var scopes = Scopes(RW, ("*", RW), ("secret", N));
        Assert.Equal(N, scopes.ForEndpoint("secret"));
        Assert.Equal(RW, scopes.ForEndpoint("other"));
    }

    [Fact]
    public void ForEndpoint_WithoutWildcard_UnlistedIsNone()
    {
        var scopes = Scopes(RW, ("ep1", R));
        Assert.Equal(R, scopes.ForEndpoint("ep1"));
        Assert.Equal(N, scopes.ForEndpoint("ep2"));
    }

    [Fact]
    public void ForEndpoint_IsCaseSensitive()
    {
        var scopes = Scopes(N, ("AbC", RW));
        Assert.Equal(RW, scopes.ForEndpoint("AbC"));
        Assert.Equal(N, scopes.ForEndpoint("abc"));
        Assert.Equal(N, scopes.ForEndpoint("ABC"));

        var withWildcard = Scopes(N, ("*", R), ("AbC", RW));
        Assert.Equal(R, withWildcard.ForEndpoint("abc"));
    }

    [Fact]
    public void ForEndpoint_IsOrdinalEvenWhenGivenACaseInsensitiveMap()
    {
        var source = new Dictionary<string, AccessLevel>(StringComparer.OrdinalIgnoreCase) { ["abc"] = RW };
        var scopes = new KeyScopes(N, source);
        Assert.Equal(RW, scopes.ForEndpoint("abc"));
        Assert.Equal(N, scopes.ForEndpoint("ABC"));
    }

    public static TheoryData<AccessLevel, (string, AccessLevel)[], string> PermissionCases() => new()
    {
        { RW, [("*", RW)], "all" },
        { R, [("*", R)], "readonly" },
        { RW, [("*", RW), ("x", RW)], "restricted" },
        { R, [("*", R), ("x", R)], "restricted" },
        { RW, [("*", R)], "restricted" },
        { R, [("*", RW)], "restricted" },
        { N, [("*", N)], "restricted" },
        { N, [("*", RW)], "restricted" },
        { RW, [], "restricted" },
        { R, [], "restricted" },
        { N, [], "restricted" },
        { RW, [("x", RW)], "restricted" },
        { RW, [("*", N)], "restricted" },
    };

    [Theory]
    [MemberData(nameof(PermissionCases))]
    public void Permission_IsDerivedPerContract(AccessLevel graphQL, (string, AccessLevel)[] endpoints, string expected)
    {
        Assert.Equal(expected, Scopes(graphQL, endpoints).Permission);
    }

    [Fact]
    public void Permission_PresetsAndLegacy()
    {
        Assert.Equal(KeyPermissions.All, KeyScopes.All.Permission);
        Assert.Equal(KeyPermissions.ReadOnly, KeyScopes.ReadOnly.Permission);
        Assert.Equal("all", KeyScopes.ForLegacy(RW).Permission);
        Assert.Equal("restricted", KeyScopes.ForLegacy(R).Permission);
        Assert.Equal(RW, KeyScopes.ForLegacy(R).ForEndpoint("any-endpoint"));
        Assert.Equal(R, KeyScopes.ForLegacy(R).GraphQL);
    }

    [Fact]
    public void Permission_IsComputedOnce()
    {
        var scopes = Scopes(R, ("*", R));
        Assert.Same(scopes.Permission, scopes.Permission);
    }

    [Fact]
    public void With_RecomputesPermission()
    {
        var all = Scopes(RW, ("*", RW));
        Assert.Equal("all", all.Permission);

        var lowered = all with { GraphQL = R };
        Assert.Equal("restricted", lowered.Permission);

        var readOnly = lowered with { Endpoints = new Dictionary<string, AccessLevel> { ["*"] = R } };
        Assert.Equal("readonly", readOnly.Permission);
        Assert.Equal("all", all.Permission);
    }

    [Fact]
    public void Constructor_CopiesTheMap()
    {
        var source = new Dictionary<string, AccessLevel>(StringComparer.Ordinal) { ["*"] = RW };
        var scopes = new KeyScopes(RW, source);
        source["*"] = N;
        source["x"] = N;
        Assert.Equal(RW, scopes.ForEndpoint("x"));
        Assert.Single(scopes.Endpoints);
        Assert.Equal("all", scopes.Permission);
    }

    [Fact]
    public void Constructor_RefusesUndefinedLevelsAndNull()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Scopes((AccessLevel)3));
        Assert.Throws<ArgumentOutOfRangeException>(() => Scopes(R, ("*", (AccessLevel)200)));
        Assert.Throws<ArgumentNullException>(() => new KeyScopes(R, null!));
    }

    [Fact]
    public void Equality_ComparesContentsNotReferences()
    {
        var a = Scopes(R, ("*", R), ("ep1", RW), ("ep2", N));
        var b = Scopes(R, ("ep2", N), ("ep1", RW), ("*", R));
        Assert.Equal(a, b);
        Assert.True(a == b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.Equal(KeyScopes.None, Scopes(N));

        Assert.NotEqual(a, Scopes(RW, ("*", R), ("ep1", RW), ("ep2", N)));
        Assert.NotEqual(a, Scopes(R, ("*", R), ("ep1", R), ("ep2", N)));
        Assert.NotEqual(a, Scopes(R, ("*", R), ("ep1", RW)));
        Assert.NotEqual(a, Scopes(R, ("*", R), ("ep1", RW), ("ep2", N), ("ep3", N)));
        Assert.NotEqual(a, Scopes(R, ("*", R), ("EP1", RW), ("ep2", N)));
        Assert.False(a.Equals(null));
        Assert.True(a != null);
    }

    [Fact]
    public void ApiKeys_WithEqualScopes_AreEqual()
    {
        var created = DateTimeOffset.UnixEpoch;
        var one = new ApiKey("key_1", "n", KeyKind.Rpa, "rpa_abcd", true, created, null, null, Scopes(R, ("*", R)));
        var two = one with { Scopes = Scopes(R, ("*", R)) };
        Assert.Equal(one, two);
        Assert.NotEqual(one, two with { Enabled = false });
    }

    [Fact]
    public void Deconstruct_GivesBothParts()
    {
        var (graphQL, endpoints) = Scopes(R, ("ep", RW));
        Assert.Equal(R, graphQL);
        Assert.Equal(RW, endpoints["ep"]);
    }
}
