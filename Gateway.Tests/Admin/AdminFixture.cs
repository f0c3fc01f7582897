using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Admin;

/// <summary>One gateway for the admin API tests, on its own key prefix.</summary>
public sealed class AdminFixture : IAsyncLifetime
{
    public RecordingUpstream Upstream { get; private set; } = null!;

    public GatewayHost Host { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Upstream = await RecordingUpstream.StartAsync();
        Host = new GatewayHost(GatewayHost.WriteConfig(Upstream.Address), TestStore.Configuration, TestStore.UniquePrefix()).Start();
    }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        await Upstream.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class AdminCollection : ICollectionFixture<AdminFixture>
{
    public const string Name = "Admin";
}

/// <summary>An admin API answer: status, headers, and the parsed body.</summary>
internal sealed record AdminAnswer(HttpStatusCode Status, string? MediaType, Uri? Location, string Text)
{
    public JsonNode Json => JsonNode.Parse(Text)!;

    public JsonObject Object => Json.AsObject();

    public string? Code => Status >= HttpStatusCode.BadRequest ? (string?)Json["code"] : null;

    public string Detail => (string?)Json["detail"] ?? "";
}

internal static class AdminApi
{
    public static Task<AdminAnswer> PostAsync(GatewayHost host, string path, object body) => SendAsync(host.Admin, HttpMethod.Post, path, Serialize(body));

    public static Task<AdminAnswer> PatchAsync(GatewayHost host, string id, object body) =>
        SendAsync(host.Admin, HttpMethod.Patch, $"/admin/keys/{id}", Serialize(body));

    public static Task<AdminAnswer> GetAsync(GatewayHost host, string path) => SendAsync(host.Admin, HttpMethod.Get, path, null);

    public static async Task<AdminAnswer> SendAsync(HttpClient client, HttpMethod method, string path, string? json, string? authorization = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        using var response = await client.SendAsync(request);
        return new AdminAnswer(response.StatusCode, response.Content.Headers.ContentType?.MediaType, response.Headers.Location,
            await response.Content.ReadAsStringAsync());
    }

    /// <summary>Creates a key and returns the create answer's body (the view plus <c>key</c>).</summary>
    public static async Task<JsonObject> CreateAsync(GatewayHost host, object body)
    {
        var answer = await PostAsync(host, "/admin/keys", body);
        Assert.True(answer.Status == HttpStatusCode.Created, $"{(int)answer.Status} {answer.Text}");
        return answer.Object;
    }

    public static async Task<JsonObject> ImportAsync(GatewayHost host, params object[] entries)
    {
        var answer = await PostAsync(host, "/admin/keys/legacy", new { keys = entries });
        Assert.True(answer.Status == HttpStatusCode.OK, $"{(int)answer.Status} {answer.Text}");
        return answer.Object;
    }

    public static object Legacy(string key, string graphql = "read", string name = "legacy") => new { key, name, graphql };

    public static void AssertRefused(AdminAnswer answer, HttpStatusCode status, string code, string? detailNames = null)
    {
        Assert.True(answer.Status == status, $"expected {(int)status}, got {(int)answer.Status} {answer.Text}");
        Assert.Equal("application/problem+json", answer.MediaType);
        Assert.Equal(code, answer.Code);
        Assert.Equal((int)status, (int?)answer.Json["status"]);
        Assert.False(string.IsNullOrEmpty((string?)answer.Json["title"]));
        if (detailNames is not null)
        {
            Assert.Contains(detailNames, answer.Detail);
        }
    }

    public static string Serialize(object body) => body as string ?? JsonSerializer.Serialize(body);
}
