using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Gateway.Enforcement;

namespace Gateway.Admin;

/// <summary>
/// The admin API's answers. Every one is <c>Cache-Control: no-store</c>: admin answers hold key settings (and once a
/// plaintext key), which no cache between the operator and the gateway may keep.
/// </summary>
internal static class AdminResults
{
    public const string NoStore = "no-store";

    /// <summary>The one way an admin handler or filter refuses: problem+json written by <see cref="ProblemWriter"/>.</summary>
    public static IResult Refused(Refusal refusal) => new RefusalResult(refusal);

    public static IResult Json<T>(int status, T value, JsonTypeInfo<T> type, string? location = null, string? etag = null) =>
        new JsonResult<T>(status, value, type, location, etag);

    public static IResult NoContent() => new NoContentResult();

    private sealed class RefusalResult(Refusal refusal) : IResult
    {
        // ProblemWriter sets no-store itself, as it does for the proxy's refusals.
        public Task ExecuteAsync(HttpContext httpContext) => ProblemWriter.WriteAsync(httpContext, refusal);
    }

    private sealed class JsonResult<T>(int status, T value, JsonTypeInfo<T> type, string? location, string? etag) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            response.StatusCode = status;
            response.ContentType = "application/json; charset=utf-8";
            response.Headers.CacheControl = NoStore;
            if (location is not null)
            {
                response.Headers.Location = location;
            }

            if (etag is not null)
            {
                response.Headers.ETag = etag;
            }

            return JsonSerializer.SerializeAsync(response.Body, value, type, httpContext.RequestAborted);
        }
    }

    private sealed class NoContentResult : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = StatusCodes.Status204NoContent;
            httpContext.Response.Headers.CacheControl = NoStore;
            return Task.CompletedTask;
        }
    }
}
