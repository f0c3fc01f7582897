using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Enforcement;

/// <summary>
/// The migration path off legacy keys (contract section 8): a legacy key rolled into an <c>rpa</c> key gets the same
/// decision as the legacy key for every request kind of the scope matrix in every key placement, and the upstream sees
/// the same request from both.
/// </summary>
public sealed class LegacyRollMatrixTests(LegacyRollMatrixTests.Keys keys) : IClassFixture<LegacyRollMatrixTests.Keys>
{
    private const string MarkerHeader = "X-Matrix-Case";

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var shape in ScopeMatrixCases.Shapes.Where(s => s.Legacy))
        {
            foreach (var kind in ScopeMatrixCases.Kinds)
            {
                foreach (var placement in Enum.GetValues<Placement>())
                {
                    data.Add(string.Join(ScopeMatrixCases.Separator, shape.Name, kind.Name, placement));
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task RolledKey_IsJudgedExactlyAsTheLegacyKey(string @case)
    {
        var parts = @case.Split(ScopeMatrixCases.Separator);
        var shape = ScopeMatrixCases.Shape(parts[0]);
        var kind = ScopeMatrixCases.Kind(parts[1]);
        var placement = Enum.Parse<Placement>(parts[2]);
        var (legacy, rolled) = keys.Of(shape.Name);

        var (legacyAnswer, legacySeen) = await SendAsync(kind, placement, legacy);
        var (rolledAnswer, rolledSeen) = await SendAsync(kind, placement, rolled);

        Assert.True(legacyAnswer.Status == rolledAnswer.Status && legacyAnswer.Code == rolledAnswer.Code,
            $"[{@case}] legacy {legacyAnswer}, rolled {rolledAnswer}");
        // And both as the matrix says a legacy key of this shape is judged, so "identical" is not "identically broken".
        // (A HEAD refusal has no body, so only its status can be compared.)
        var expected = ScopeMatrixCases.Expected(shape, kind);
        Assert.Equal(kind.Method == HttpMethod.Head ? expected.Status.ToString(System.Globalization.CultureInfo.InvariantCulture) : expected.ToString(),
            kind.Method == HttpMethod.Head ? rolledAnswer.Status.ToString(System.Globalization.CultureInfo.InvariantCulture) : ProxyOutcome(rolledAnswer));
        Assert.Equal(legacySeen.Length, rolledSeen.Length);
        for (var i = 0; i < legacySeen.Length; i++)
        {
            Assert.Equal(legacySeen[i].Method, rolledSeen[i].Method);
            Assert.Equal(legacySeen[i].RawTarget, rolledSeen[i].RawTarget);
            Assert.Equal(Encoding.UTF8.GetString(legacySeen[i].Body), Encoding.UTF8.GetString(rolledSeen[i].Body));
            Assert.False(rolledSeen[i].Contains(rolled), $"[{@case}] the upstream saw the rolled key");
        }
    }

    private static string ProxyOutcome(ProxyResponse response) =>
        response.Status == 200 && !response.IsProblem ? "forwarded" : $"{response.Status} {response.Code}";

    private async Task<(ProxyResponse Answer, RecordedRequest[] Seen)> SendAsync(RequestKind kind, Placement placement, string key)
    {
        var marker = Guid.NewGuid().ToString("N");
        using var request = ScopeMatrixTests.Build(kind, placement, key, marker);
        using var sent = await keys.Host.Proxy.SendAsync(request);
        var answer = await ProxyResponse.FromAsync(sent);
        return (answer, keys.Upstream.Received.Where(r => r.Header(MarkerHeader) == marker).ToArray());
    }

    /// <summary>One gateway; each legacy shape imported and rolled (a week's grace, so both keys work) before the first case.</summary>
    public sealed class Keys : IAsyncLifetime
    {
        private readonly Dictionary<string, (string Legacy, string Rolled)> _keys = new(StringComparer.Ordinal);

        public RecordingUpstream Upstream { get; private set; } = null!;

        public GatewayHost Host { get; private set; } = null!;

        public (string Legacy, string Rolled) Of(string shape) => _keys[shape];

        public async Task InitializeAsync()
        {
            Upstream = await RecordingUpstream.StartAsync();
            Host = new GatewayHost(GatewayHost.WriteConfig(Upstream.Address), TestStore.Configuration, TestStore.UniquePrefix()).Start();
            foreach (var shape in ScopeMatrixCases.Shapes.Where(s => s.Legacy))
            {
                var legacy = $"legacy.{shape.Name}~{Guid.NewGuid():N}";
                var graphql = shape.GraphQL == Level.Read ? "read" : "readwrite";
                using var imported = await Host.Admin.PostAsJsonAsync("/admin/keys/legacy", new { keys = new[] { new { key = legacy, name = "rolled " + shape.Name, graphql } } });
                var id = (string)JsonNode.Parse(await imported.Content.ReadAsStringAsync())!["imported"]![0]!["id"]!;

                using var rolled = await Host.Admin.PostAsJsonAsync($"/admin/keys/{id}/roll", new { graceSeconds = 604800 });
                var text = await rolled.Content.ReadAsStringAsync();
                Assert.True(rolled.StatusCode == HttpStatusCode.Created, text);
                var view = JsonNode.Parse(text)!;
                Assert.Equal("rpa", (string?)view["kind"]);
                Assert.Equal(graphql, (string?)view["graphql"]);
                Assert.Equal("""{"*":"readwrite"}""", view["endpoints"]!.ToJsonString());
                _keys[shape.Name] = (legacy, (string)view["key"]!);
            }
        }

        public async Task DisposeAsync()
        {
            await Host.DisposeAsync();
            await Upstream.DisposeAsync();
        }
    }
}
