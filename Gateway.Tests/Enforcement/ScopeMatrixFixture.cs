using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Enforcement;

/// <summary>
/// One gateway and one recording upstream for the whole matrix, with one key per <see cref="KeyShape"/> created,
/// imported, disabled, expired or deleted through the admin API before the first case runs.
/// </summary>
public sealed class ScopeMatrixFixture : IAsyncLifetime
{
    private readonly Dictionary<string, string> _keys = new(StringComparer.Ordinal);
    private readonly FakeTimeProvider _time = FakeClock.StartingNow();

    public RecordingUpstream Upstream { get; private set; } = null!;

    public GatewayHost Host { get; private set; } = null!;

    /// <summary>The plaintext key of a shape.</summary>
    public string KeyOf(string shape) => _keys[shape];

    public async Task InitializeAsync()
    {
        Upstream = await RecordingUpstream.StartAsync();
        Host = new GatewayHost(GatewayHost.WriteConfig(Upstream.Address), TestStore.Configuration, TestStore.UniquePrefix(),
            configureServices: services => services.Use(_time)).Start();

        var expiresAt = _time.GetUtcNow().AddMinutes(1);
        _keys["expired"] = (await Host.CreateKeyAsync(Body("expired", expiresAt))).Key;

        foreach (var shape in ScopeMatrixCases.Shapes.Where(s => s is { Legacy: false, Condition: not KeyCondition.Expired }))
        {
            var (key, id) = await Host.CreateKeyAsync(Body(shape.Name, expiresAt: null));
            _keys[shape.Name] = key;
            if (shape.Condition == KeyCondition.Disabled)
            {
                using var patched = await Host.Admin.PatchAsJsonAsync($"/admin/keys/{id}", new { enabled = false });
                Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
            }
            else if (shape.Condition == KeyCondition.Deleted)
            {
                using var deleted = await Host.Admin.DeleteAsync($"/admin/keys/{id}");
                Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
            }
        }

        await ImportLegacyAsync();
        // The gateway judges expiry by its clock, a fake one here: past expiresAt at once, with no wait.
        _time.Advance(TimeSpan.FromMinutes(2));
    }

    public async Task DisposeAsync()
    {
        var configPath = Host.ConfigPath;
        await Host.DisposeAsync();
        await Upstream.DisposeAsync();
        File.Delete(configPath);
    }

    private static object Body(string shapeName, DateTimeOffset? expiresAt)
    {
        var shape = ScopeMatrixCases.Shape(shapeName);
        var body = new JsonObject
        {
            ["name"] = "matrix " + shape.Name,
            ["graphql"] = Wire(shape.GraphQL),
            ["endpoints"] = new JsonObject(shape.Endpoints.Select(e => KeyValuePair.Create(e.Key, (JsonNode?)Wire(e.Value)))),
        };
        if (expiresAt is { } at)
        {
            body["expiresAt"] = at.ToString("O");
        }

        return body;
    }

    private async Task ImportLegacyAsync()
    {
        // 16 to 256 printable non-space ASCII characters, not rpa_ (README: "How a request is judged"); '~' and '.' need no escaping anywhere.
        var legacy = ScopeMatrixCases.Shapes.Where(s => s.Legacy)
            .Select(s => (Shape: s, Key: $"legacy.{s.Name}~{Guid.NewGuid():N}"))
            .ToArray();
        var entries = new JsonArray(legacy.Select(l => (JsonNode)new JsonObject
        {
            ["key"] = l.Key,
            ["name"] = "matrix " + l.Shape.Name,
            ["graphql"] = Wire(l.Shape.GraphQL),
        }).ToArray());
        using var response = await Host.Admin.PostAsJsonAsync("/admin/keys/legacy", new JsonObject { ["keys"] = entries });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"legacy import: {(int)response.StatusCode} {text}");

        var imported = JsonNode.Parse(text)!["imported"]!.AsArray();
        Assert.Equal(legacy.Length, imported.Count);
        foreach (var (shape, key) in legacy)
        {
            var view = imported.Single(v => (string?)v!["name"] == "matrix " + shape.Name)!;
            // Legacy keys carry endpoints {"*": "readwrite"}; the matrix's expectations rely on it.
            Assert.Equal("legacy", (string?)view["kind"]);
            Assert.Equal("readwrite", (string?)view["endpoints"]!["*"]);
            _keys[shape.Name] = key;
        }
    }

    private static string Wire(Level level) => level switch
    {
        Level.None => "none",
        Level.Read => "read",
        _ => "readwrite",
    };
}
