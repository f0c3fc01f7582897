using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace Gateway.Enforcement;

/// <summary>What the method and the presence of a body say about a request, before any key is looked at.</summary>
internal static class MethodRules
{
    /// <summary>
    /// Methods are case-sensitive (RFC 9110 §9.1) and every standard one is upper case. Kestrel hands "head" through
    /// as written, while HttpClient (so YARP) and many servers read it as HEAD: the gateway would judge one method and
    /// the upstream run another, and Kestrel would frame the answer as one to a non-HEAD request (a 500). A method
    /// with a lower-case letter is therefore refused; custom upper-case methods (PURGE) are judged as writes.
    /// </summary>
    public static bool IsCaseValid(string method) => !method.AsSpan().ContainsAnyInRange('a', 'z');

    /// <summary>
    /// Whether the request carries a body: <c>Content-Length</c> above 0, any <c>Transfer-Encoding</c>, or (HTTP/2 and
    /// HTTP/3, which have neither) a stream the server says can still send data. Fails closed: any sign of a body counts.
    /// </summary>
    public static bool CarriesBody(HttpRequest request) =>
        request.ContentLength > 0
        || request.Headers.ContainsKey(HeaderNames.TransferEncoding)
        || request.HttpContext.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true;
}
