using System.Text.Json;

namespace Gateway.Tests.Enforcement;

/// <summary>A gateway response, however it was sent (HttpClient or raw socket), with its problem code parsed.</summary>
public sealed record ProxyResponse(int Status, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public const string ProblemJson = "application/problem+json";

    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;

    public bool IsProblem => Header("Content-Type")?.StartsWith(ProblemJson, StringComparison.OrdinalIgnoreCase) == true;

    /// <summary>The problem document's <c>code</c>, or null when the response is not problem+json (or has no body, as for HEAD).</summary>
    public string? Code
    {
        get
        {
            if (!IsProblem || Body.Length == 0)
            {
                return null;
            }

            using var document = JsonDocument.Parse(Body);
            return document.RootElement.TryGetProperty("code", out var code) ? code.GetString() : null;
        }
    }

    /// <summary>Problem documents carry status, title, detail and code (README: "How a request is judged"); throws naming what is missing.</summary>
    public void AssertProblemShape(string because)
    {
        Assert.True(IsProblem, $"{because}: expected {ProblemJson}, got '{Header("Content-Type")}' {Body}");
        using var document = JsonDocument.Parse(Body);
        var root = document.RootElement;
        foreach (var member in new[] { "status", "title", "detail", "code" })
        {
            Assert.True(root.TryGetProperty(member, out _), $"{because}: problem document lacks '{member}': {Body}");
        }

        Assert.Equal(Status, root.GetProperty("status").GetInt32());
    }

    public static async Task<ProxyResponse> FromAsync(HttpResponseMessage response)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            headers[name] = string.Join(", ", values);
        }

        return new ProxyResponse((int)response.StatusCode, headers, await response.Content.ReadAsStringAsync());
    }

    public override string ToString() => $"{Status} {Header("Content-Type")} {(Body.Length > 300 ? Body[..300] + "..." : Body)}";
}
