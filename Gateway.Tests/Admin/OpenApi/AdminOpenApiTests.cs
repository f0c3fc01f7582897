using System.Net;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;

namespace Gateway.Tests.Admin.OpenApi;

/// <summary>
/// The admin API's OpenAPI document (<c>/openapi/v1.json</c>): served on the admin listener without a token, never on
/// the proxy listener, generated from the mapped endpoints (every <c>/admin</c> method and path is in it), valid for
/// <c>Microsoft.OpenApi</c>'s reader, and describing the bodies as the API writes them.
/// </summary>
public sealed class AdminOpenApiTests(GatewayTest.Parts parts) : GatewayTest(parts)
{
    private const string DocumentPath = "/openapi/v1.json";

    [Fact]
    public async Task Document_IsServedOnTheAdminListener_WithoutAToken()
    {
        using var anonymous = new HttpClient { BaseAddress = Host.Listeners.AdminUri };
        using var response = await anonymous.GetAsync(new Uri(DocumentPath, UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var document = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.StartsWith("3.", (string?)document["openapi"], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(DocumentPath)]
    [InlineData("/openapi/v1.yaml")]
    public async Task Document_OnTheProxyListener_Is404(string path)
    {
        using var proxy = new HttpClient { BaseAddress = Host.Listeners.ProxyUri };
        using var response = await proxy.GetAsync(new Uri(path, UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(0, Upstream.Count);
    }

    [Fact]
    public async Task EveryMappedAdminEndpoint_IsInTheDocument_AndNothingElseIs()
    {
        var document = await DocumentAsync();
        var paths = document["paths"]!.AsObject();
        var mapped = AdminCredentialTests.AdminRoutes(Host).ToList();
        Assert.Contains(mapped, r => r is { Method: "GET", Path: "/admin/keys/{id}" });

        var missing = mapped.Where(r => paths[r.Path]?[r.Method.ToLowerInvariant()] is null).ToList();
        Assert.True(missing.Count == 0, "missing from the document: " + string.Join(", ", missing.Select(m => $"{m.Method} {m.Path}")));
        var documented = paths.SelectMany(p => p.Value!.AsObject().Select(o => (o.Key.ToUpperInvariant(), p.Key))).ToList();
        Assert.All(documented, d => Assert.StartsWith("/admin/", d.Item2, StringComparison.Ordinal));
        Assert.Equal(mapped.Count, documented.Count);
    }

    [Fact]
    public async Task Document_RoundTripsThroughTheOpenApiReader_WithNoErrors()
    {
        using var anonymous = new HttpClient { BaseAddress = Host.Listeners.AdminUri };
        var text = await anonymous.GetStringAsync(new Uri(DocumentPath, UriKind.Relative));

        var (document, diagnostic) = OpenApiDocument.Parse(text, "json", new OpenApiReaderSettings());

        Assert.True(diagnostic!.Errors.Count == 0, string.Join(" | ", diagnostic.Errors.Select(e => $"{e.Pointer}: {e.Message}")));
        Assert.NotNull(document);
        Assert.Equal(OpenApiSpecVersion.OpenApi3_1, diagnostic.SpecificationVersion);
        Assert.True(document!.Paths.ContainsKey("/admin/keys/{id}"));
        var scheme = Assert.IsType<OpenApiSecurityScheme>(document.Components!.SecuritySchemes!["bearer"]);
        Assert.Equal(SecuritySchemeType.Http, scheme.Type);
        Assert.Equal("bearer", scheme.Scheme);
    }

    [Fact]
    public async Task EveryCall_NeedsTheBearerScheme_AndListsItsRefusals()
    {
        var document = await DocumentAsync();
        Assert.Equal("bearer", document["security"]![0]!.AsObject().Single().Key);

        foreach (var (path, item) in document["paths"]!.AsObject())
        {
            foreach (var (method, operation) in item!.AsObject())
            {
                var responses = operation!["responses"]!.AsObject();
                Assert.True(responses.ContainsKey("401"), $"{method} {path} lists no 401");
                Assert.True(responses.ContainsKey("429"), $"{method} {path} lists no 429");
                Assert.True(responses.ContainsKey("503"), $"{method} {path} lists no 503");
                Assert.Equal(method != "get", responses.ContainsKey("403"));
                Assert.NotNull(responses["401"]!["content"]!["application/problem+json"]);
                Assert.False(string.IsNullOrEmpty((string?)operation["operationId"]), $"{method} {path} has no operationId");
            }
        }

        var patch = document["paths"]!["/admin/keys/{id}"]!["patch"]!["responses"]!.AsObject();
        Assert.True(new[] { "200", "400", "404", "409", "412", "413" }.All(patch.ContainsKey), patch.ToJsonString());
        Assert.True(document["paths"]!["/admin/keys"]!["post"]!["responses"]!.AsObject().ContainsKey("201"));
    }

    [Fact]
    public async Task Schemas_AreTheBodiesAsTheApiReadsAndWritesThem()
    {
        var document = await DocumentAsync();
        var created = await AdminApi.CreateAsync(Host, new { name = "openapi-shape", graphql = "read" });

        var view = Schema(document, document["paths"]!["/admin/keys"]!["post"]!["responses"]!["201"]!["content"]!["application/json"]!["schema"]!);
        var described = view["properties"]!.AsObject().Select(p => p.Key).ToHashSet();
        // Every member the API wrote is described, under the name it is written with (camelCase, as AdminJsonContext writes).
        Assert.All(created.Select(p => p.Key), member => Assert.Contains(member, described));

        var create = Schema(document, document["paths"]!["/admin/keys"]!["post"]!["requestBody"]!["content"]!["application/json"]!["schema"]!);
        Assert.True(create["properties"]!.AsObject().ContainsKey("expiresAt"));
        var patch = Schema(document, document["paths"]!["/admin/keys/{id}"]!["patch"]!["requestBody"]!["content"]!["application/json"]!["schema"]!);
        // A PATCH member is its value or null on the wire, not the reader's Optional<T> wrapper.
        var enabled = Schema(document, patch["properties"]!["enabled"]!);
        Assert.Contains("boolean", enabled["type"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.Null(enabled["properties"]?["isGiven"]);
        var problem = Schema(document, document["paths"]!["/admin/keys/{id}"]!["get"]!["responses"]!["404"]!["content"]!["application/problem+json"]!["schema"]!);
        Assert.True(problem["properties"]!.AsObject().ContainsKey("code"));
    }

    private async Task<JsonObject> DocumentAsync()
    {
        using var anonymous = new HttpClient { BaseAddress = Host.Listeners.AdminUri };
        return JsonNode.Parse(await anonymous.GetStringAsync(new Uri(DocumentPath, UriKind.Relative)))!.AsObject();
    }

    /// <summary>The schema itself, following one <c>$ref</c> into <c>components/schemas</c>.</summary>
    private static JsonNode Schema(JsonObject document, JsonNode schema) =>
        (string?)schema["$ref"] is { } reference
            ? document["components"]!["schemas"]![reference["#/components/schemas/".Length..]]!
            : schema;
}
