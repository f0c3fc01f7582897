using Gateway.Configuration;
using Gateway.Keys;
using Gateway.Observability;
using Gateway.Usage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Gateway.Tests.Usage;

/// <summary>
/// The flush planner on its own (no store): the names it keeps on a key-day (issue 11: built once, not per flush) give
/// the same calls as names built afresh, and a key's deltas are grouped by key and day however they arrive.
/// </summary>
public sealed class UsageWritePlanTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly GatewayMetrics _metrics;
    private readonly UsageCounters _counters;
    private readonly UsageLayout _layout = Layout("gw:");

    public UsageWritePlanTests()
    {
        _metrics = new GatewayMetrics(_services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        _counters = new UsageCounters(Options.Create(new UsageOptions()), new FixedTime(Now), _metrics);
    }

    public void Dispose()
    {
        _metrics.Dispose();
        _services.Dispose();
    }

    [Fact]
    public void KeptNames_GiveTheSameCalls_AsNamesBuiltAfresh_AndANewLayoutBuildsItsOwn()
    {
        Count("k1", ScopeTarget.Endpoint("ep"), allowed: true);
        Count("k1", ScopeTarget.GraphQLApi, allowed: false);
        Count("k2", ScopeTarget.Endpoint("ep"), allowed: true);
        // The day's first drain walks every counter, in no set order: sorted, so the expected calls can be written out.
        var deltas = _counters.Drain().OrderBy(d => d.Slot.KeyId, StringComparer.Ordinal).ThenBy(d => d.Slot.Target, StringComparer.Ordinal).ToList();

        // The first plan builds and keeps the names; the second uses the kept ones.
        var first = Show(Plan(_layout, deltas));
        Assert.NotNull(deltas[0].KeyDay!.Names);
        Assert.Equal(first, Show(Plan(_layout, deltas)));

        // Exactly the calls the names say: one call (one server, no slots: slot -1) with the slot's lastUsedAt set, each
        // key's latest use and id, then each key-day's hash.
        var hash1 = $"gw:usage:{{k1}}:{UsageDays.Format(UsageDays.Of(Now))}";
        var hash2 = $"gw:usage:{{k2}}:{UsageDays.Format(UsageDays.Of(Now))}";
        var expiry = UsageDays.ExpiresAt(UsageDays.Of(Now), 90).ToUnixTimeSeconds();
        var ms = Now.ToUnixTimeMilliseconds();
        Assert.Equal(
            $"keys [m, gw:lastused:{{-1}}, {hash1}, {hash2}] args [1, 86400, 1000, 2, {ms}, k1, {ms}, k2, " +
            $"{expiry}, 4, endpoint:ep:allowed, 1, graphql:denied, 1, {expiry}, 2, endpoint:ep:allowed, 1]",
            first.Replace("marker", "m", StringComparison.Ordinal));

        // Names kept for one layout are not used for another (a different prefix).
        var other = Show(Plan(Layout("other:"), deltas));
        Assert.Contains("other:usage:{k1}", other, StringComparison.Ordinal);
        Assert.DoesNotContain("gw:", other, StringComparison.Ordinal);
    }

    [Fact]
    public void AKeyUsedOnTwoDays_HasOneHashWriteAndOneLastUsedPairPerDay_WithEachDaysLatestUse()
    {
        var today = UsageDays.Of(Now);
        var yesterday = UsageDays.Of(Now.AddDays(-1));
        List<UsageDelta> deltas =
        [
            new(new UsageSlot("k1", yesterday, "a"), 1, 0, 100),
            new(new UsageSlot("k1", today, "a"), 1, 0, 300),
            new(new UsageSlot("k1", today, "b"), 0, 1, 200),
            new(new UsageSlot("k1", yesterday, "b"), 1, 0, 150),
        ];
        var shown = Show(Plan(_layout, deltas));

        Assert.Equal(1, Occurrences(shown, $"gw:usage:{{k1}}:{UsageDays.Format(today)}"));
        Assert.Equal(1, Occurrences(shown, $"gw:usage:{{k1}}:{UsageDays.Format(yesterday)}"));
        // The script keeps the later of the two (UsageIdempotencyTests, on the store).
        Assert.Contains("args [1, 86400, 1000, 2, 150, k1, 300, k1, ", shown, StringComparison.Ordinal);
    }

    [Fact]
    public void DeltasMadeElsewhere_AreGroupedByKeyAndDay_AndAKeyPastOneCall_SpansCalls()
    {
        var day = UsageDays.Of(Now);
        var deltas = Enumerable.Range(0, UsageWritePlan.MaxUnitsPerCall + 10)
            .Select(t => new UsageDelta(new UsageSlot("wide", day, "t" + t), 1, 0, 1))
            .Append(new UsageDelta(new UsageSlot("narrow", day, "x"), 2, 0, 5))
            .Append(new UsageDelta(new UsageSlot("wide", day, null), 0, 3, 9))
            .ToList();
        var planner = new UsageWritePlan(_layout, static _ => -1, 7, 1000);
        var calls = planner.Plan(deltas);

        Assert.Equal(["wide", "narrow"], planner.KeyDays.Select(k => k.KeyId));
        // Every count is in exactly one call, and no call is over its size.
        Assert.Equal(deltas.Sum(d => d.Allowed + d.Denied), calls.Sum(c => c.Requests));
        Assert.All(calls, c => Assert.InRange(c.Units, 1, UsageWritePlan.MaxUnitsPerCall));
        var shown = string.Join("\n", calls.Select(Show));
        Assert.Contains("graphql:denied, 3", shown, StringComparison.Ordinal);
        Assert.Equal(2, Occurrences(shown, "gw:usage:{wide}"));
    }

    private void Count(string id, ScopeTarget target, bool allowed) =>
        _counters.Record(new ApiKey(id, "n", KeyKind.Rpa, "rpa_", true, Now, null, null, KeyScopes.All), target, allowed);

    private static IReadOnlyList<UsageCall> Plan(UsageLayout layout, List<UsageDelta> deltas) =>
        new UsageWritePlan(layout, static _ => -1, 1, 1000).Plan(deltas);

    private static UsageLayout Layout(string prefix) => new(prefix, slot => $"{prefix}lastused:{{{slot}}}", 90, static _ => -1);

    private static string Show(IReadOnlyList<UsageCall> calls) => string.Join("\n", calls.Select(Show));

    private static string Show(UsageCall call) =>
        $"keys [marker, {string.Join(", ", call.Keys.Skip(1).Select(k => (string?)k))}] args [{string.Join(", ", call.Args.Select(a => (string?)a))}]";

    private static int Occurrences(string text, string part) => text.Split(part).Length - 1;

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
