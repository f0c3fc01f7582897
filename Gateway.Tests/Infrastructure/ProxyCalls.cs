using System.Net.Http.Headers;
using Gateway.Tests.Enforcement;

namespace Gateway.Tests.Infrastructure;

/// <summary>Requests through a gateway's proxy listener with a key, for tests that prove an admin change took effect.</summary>
public static class ProxyCalls
{
    /// <summary>One request with <paramref name="key"/> as a bearer token; a body of <c>{}</c> on methods that carry one.</summary>
    public static async Task<ProxyResponse> SendWithKeyAsync(this GatewayHost host, HttpMethod method, string path, string key)
    {
        using var request = new HttpRequestMessage(method, path);
        if (method != HttpMethod.Get && method != HttpMethod.Head)
        {
            request.Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json");
        }

        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await host.Proxy.SendAsync(request);
        return await ProxyResponse.FromAsync(response);
    }

    /// <summary>Polls until the request answers <paramref name="status"/> (and <paramref name="code"/>, if given).</summary>
    public static async Task EventuallyAnswersAsync(this GatewayHost host, HttpMethod method, string path, string key, int status, string? code = null)
    {
        ProxyResponse? last = null;
        try
        {
            await Eventually.TrueAsync(async () =>
            {
                last = await host.SendWithKeyAsync(method, path, key);
                return last.Status == status && (code is null || last.Code == code);
            }, $"{method} {path} to answer {status} {code}");
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message} Last answer: {last}", ex);
        }
    }
}
