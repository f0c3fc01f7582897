using Gateway.Keys;

namespace Gateway.Tests.Keys;

public sealed class ScopeDecisionTests
{
    private static readonly DateTimeOffset Now = new(2030, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private static ApiKey Key(bool enabled = true, DateTimeOffset? expiresAt = null) =>
        new("key_test", "test", KeyKind.Rpa, "rpa_abcd", enabled, Now.AddDays(-1), null, expiresAt, KeyScopes.All);

    private static KeyScopes Scopes(AccessLevel graphQL, params (string Endpoint, AccessLevel Level)[] endpoints) =>
        new(graphQL, endpoints.ToDictionary(e => e.Endpoint, e => e.Level, StringComparer.Ordinal));

    [Fact]
    public void KeyState_EnabledWithoutExpiry_IsAllowed() =>
        Assert.Equal(Verdict.Allowed, KeyState.Check(Key(), Now));

    [Fact]
    public void KeyState_Disabled_IsDisabled() =>
        Assert.Equal(Verdict.Disabled, KeyState.Check(Key(enabled: false), Now));

    [Fact]
    public void KeyState_DisabledAndExpired_IsDisabled() =>
        Assert.Equal(Verdict.Disabled, KeyState.Check(Key(enabled: false, expiresAt: Now.AddDays(-1)), Now));

    [Fact]
    public void KeyState_ExpiryBoundary()
    {
        Assert.Equal(Verdict.Expired, KeyState.Check(Key(expiresAt: Now.AddSeconds(-1)), Now));
        Assert.Equal(Verdict.Expired, KeyState.Check(Key(expiresAt: Now), Now));
        Assert.Equal(Verdict.Allowed, KeyState.Check(Key(expiresAt: Now.AddTicks(1)), Now));
        Assert.Equal(Verdict.Allowed, KeyState.Check(Key(expiresAt: Now.AddYears(1)), Now));
    }

    [Fact]
    public void KeyState_ComparesInstantsNotClockFaces()
    {
        // 13:00 at UTC+2 is 11:00 UTC, an hour before Now.
        var expiresAt = new DateTimeOffset(2030, 6, 1, 13, 0, 0, TimeSpan.FromHours(2));
        Assert.Equal(Verdict.Expired, KeyState.Check(Key(expiresAt: expiresAt), Now));
    }

    [Theory]
    [InlineData("GET", AccessLevel.Read)]
    [InlineData("HEAD", AccessLevel.Read)]
    [InlineData("OPTIONS", AccessLevel.Read)]
    [InlineData("get", AccessLevel.Read)]
    [InlineData("Head", AccessLevel.Read)]
    [InlineData("options", AccessLevel.Read)]
    [InlineData("POST", AccessLevel.ReadWrite)]
    [InlineData("PUT", AccessLevel.ReadWrite)]
    [InlineData("PATCH", AccessLevel.ReadWrite)]
    [InlineData("DELETE", AccessLevel.ReadWrite)]
    [InlineData("TRACE", AccessLevel.ReadWrite)]
    [InlineData("CONNECT", AccessLevel.ReadWrite)]
    [InlineData("PROPFIND", AccessLevel.ReadWrite)]
    [InlineData("GETX", AccessLevel.ReadWrite)]
    [InlineData("GE", AccessLevel.ReadWrite)]
    [InlineData("", AccessLevel.ReadWrite)]
    public void NeededForMethod_ReadOnlyForSafeMethods(string method, AccessLevel expected) =>
        Assert.Equal(expected, ScopeDecision.NeededForMethod(method));

    [Fact]
    public void Granted_GraphQLUsesTheGraphQLLevel()
    {
        var scopes = Scopes(AccessLevel.Read, ("*", AccessLevel.ReadWrite));
        Assert.Equal(AccessLevel.Read, ScopeDecision.Granted(scopes, ScopeTarget.GraphQLApi));
        Assert.Equal(AccessLevel.ReadWrite, ScopeDecision.Granted(scopes, ScopeTarget.Endpoint("ep")));
    }

    [Fact]
    public void Granted_EndpointFollowsPrecedence()
    {
        var scopes = Scopes(AccessLevel.ReadWrite, ("*", AccessLevel.ReadWrite), ("locked", AccessLevel.None), ("ro", AccessLevel.Read));
        Assert.Equal(AccessLevel.None, ScopeDecision.Granted(scopes, ScopeTarget.Endpoint("locked")));
        Assert.Equal(AccessLevel.Read, ScopeDecision.Granted(scopes, ScopeTarget.Endpoint("ro")));
        Assert.Equal(AccessLevel.ReadWrite, ScopeDecision.Granted(scopes, ScopeTarget.Endpoint("Locked")));
    }

    [Theory]
    [InlineData("")]
    [InlineData("*")]
    [InlineData("a/b")]
    [InlineData("a.b")]
    public void Granted_InvalidEndpointIdGetsNothingEvenUnderWildcard(string id)
    {
        var scopes = Scopes(AccessLevel.ReadWrite, ("*", AccessLevel.ReadWrite));
        Assert.Equal(AccessLevel.None, ScopeDecision.Granted(scopes, ScopeTarget.Endpoint(id)));
        Assert.Equal(AccessLevel.None, ScopeDecision.Granted(scopes, default));
        Assert.Equal(AccessLevel.None, ScopeDecision.Granted(scopes, ScopeTarget.Endpoint(new string('a', 65))));
    }

    [Theory]
    [InlineData(AccessLevel.None, AccessLevel.None, true)]
    [InlineData(AccessLevel.None, AccessLevel.Read, false)]
    [InlineData(AccessLevel.None, AccessLevel.ReadWrite, false)]
    [InlineData(AccessLevel.Read, AccessLevel.None, true)]
    [InlineData(AccessLevel.Read, AccessLevel.Read, true)]
    [InlineData(AccessLevel.Read, AccessLevel.ReadWrite, false)]
    [InlineData(AccessLevel.ReadWrite, AccessLevel.None, true)]
    [InlineData(AccessLevel.ReadWrite, AccessLevel.Read, true)]
    [InlineData(AccessLevel.ReadWrite, AccessLevel.ReadWrite, true)]
    public void Allows_Matrix(AccessLevel granted, AccessLevel needed, bool expected)
    {
        var scopes = Scopes(granted, ("*", granted));
        Assert.Equal(expected, ScopeDecision.Allows(scopes, ScopeTarget.GraphQLApi, needed));
        Assert.Equal(expected, ScopeDecision.Allows(scopes, ScopeTarget.Endpoint("ep_1"), needed));
    }

    [Fact]
    public void Allows_NeededNone_IsAlwaysTrue()
    {
        Assert.True(ScopeDecision.Allows(KeyScopes.None, ScopeTarget.GraphQLApi, AccessLevel.None));
        Assert.True(ScopeDecision.Allows(KeyScopes.None, ScopeTarget.Endpoint("x"), AccessLevel.None));
    }

    [Fact]
    public void Allows_UndefinedNeededLevel_FailsClosed() =>
        Assert.False(ScopeDecision.Allows(KeyScopes.All, ScopeTarget.GraphQLApi, (AccessLevel)3));

    [Fact]
    public void HotPath_AllocatesNothing()
    {
        var scopes = Scopes(AccessLevel.Read, ("*", AccessLevel.Read), ("ep-1", AccessLevel.ReadWrite));
        var key = Key(expiresAt: Now.AddDays(1)) with { Scopes = scopes };
        var endpoint = ScopeTarget.Endpoint("ep-1");
        var expected = Decide(); // warm-up

        // Asserts allocate, so the loop only records and the checks come after the measurement.
        var same = true;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            same &= Decide() == expected;
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.True(same);
        Assert.Equal((true, Verdict.Allowed, true, false, true), expected);

        (bool, Verdict, bool, bool, bool) Decide() => (
            KeyFormat.IsValidEndpointId("ep-1"),
            KeyState.Check(key, Now),
            ScopeDecision.Allows(key.Scopes, endpoint, ScopeDecision.NeededForMethod("POST")),
            ScopeDecision.Allows(key.Scopes, ScopeTarget.GraphQLApi, AccessLevel.ReadWrite),
            ScopeDecision.Allows(key.Scopes, ScopeTarget.Endpoint("other"), ScopeDecision.NeededForMethod("GET")));
    }

    [Fact]
    public void ScopeTarget_NamesMatchUsageCounters()
    {
        Assert.Equal("graphql", ScopeTarget.GraphQLApi.ToString());
        Assert.Equal("endpoint:abc-123", ScopeTarget.Endpoint("abc-123").ToString());
        Assert.True(ScopeTarget.GraphQLApi.IsGraphQL);
        Assert.Null(ScopeTarget.GraphQLApi.EndpointId);
        Assert.False(ScopeTarget.Endpoint("x").IsGraphQL);
        Assert.Equal(ScopeTarget.Endpoint("x"), ScopeTarget.Endpoint(new string('x', 1)));
        Assert.NotEqual(ScopeTarget.Endpoint("x"), ScopeTarget.Endpoint("X"));
        Assert.Throws<ArgumentNullException>(() => ScopeTarget.Endpoint(null!));
    }
}
