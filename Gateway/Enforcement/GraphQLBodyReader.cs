using System.Buffers;
using Gateway.Configuration;
using Microsoft.Extensions.Options;

namespace Gateway.Enforcement;

/// <summary>What reading a GraphQL body came to: the body, or why there is none.</summary>
internal readonly record struct BodyRead(BufferedBody? Body, Refusal? Refusal);

/// <summary>
/// Buffers a GraphQL request body so it can be classified and then forwarded byte for byte, within three bounds
/// (README, "GraphQL requests"): <c>MaxGraphQLBodyBytes</c> per body, <c>MaxBufferedGraphQLBytes</c> for every body held at
/// once, and <c>GraphQLBodyTimeout</c> for the whole body to arrive. Memory grows with the bytes received.
/// </summary>
internal sealed class GraphQLBodyReader(GraphQLBodyBudget budget, IOptionsMonitor<KeyScopesOptions> options, TimeProvider time)
{
    // The budget frees as soon as held bodies complete or time out, so a short wait is the honest hint.
    private const int OverloadedRetryAfterSeconds = 1;

    public ValueTask<BodyRead> ReadAsync(HttpRequest request, CancellationToken requestAborted)
    {
        var limits = options.CurrentValue;
        var declared = request.ContentLength;
        if (declared > limits.MaxGraphQLBodyBytes)
        {
            return ValueTask.FromResult(new BodyRead(null, Refusal.PayloadTooLarge));
        }

        // A body of a few KB usually arrives with its headers and is already in Kestrel's buffer: it is taken as it is,
        // with no deadline timer and no await (most of what reading a body cost per request, bench/profile.sh).
        if (declared is { } length && TryTakeBuffered(request, length) is { } buffered)
        {
            return ValueTask.FromResult(new BodyRead(buffered, null));
        }

        return new ValueTask<BodyRead>(ReadSlowAsync(request, limits, declared, requestAborted));
    }

    // The whole sized body when Kestrel already holds it and the budget has room, else null with nothing consumed (the
    // slow path then reads the same bytes, under the deadline and the budget's verdict).
    private BufferedBody? TryTakeBuffered(HttpRequest request, long length)
    {
        var reader = request.BodyReader;
        if (!reader.TryRead(out var result))
        {
            return null;
        }

        var buffer = result.Buffer;
        if (buffer.Length < length)
        {
            reader.AdvanceTo(buffer.Start);
            return null;
        }

        var body = new BufferedBody(budget);
        var rest = buffer.Slice(0, length);
        while (!rest.IsEmpty)
        {
            var space = body.GetSpace(rest.Length);
            if (space.IsEmpty)
            {
                // Fails closed: the budget is full, so the slow path answers 503 as it always did.
                body.Dispose();
                reader.AdvanceTo(buffer.Start);
                return null;
            }

            var chunk = rest.Slice(0, space.Length);
            chunk.CopyTo(space.Span);
            body.Advance(space.Length);
            rest = rest.Slice(chunk.End);
        }

        reader.AdvanceTo(buffer.GetPosition(length));
        return body;
    }

    private async Task<BodyRead> ReadSlowAsync(HttpRequest request, KeyScopesOptions limits, long? declared, CancellationToken requestAborted)
    {
        // With a Content-Length, Kestrel delivers exactly that many bytes; without one (chunked), one byte past the
        // limit is room enough to see that a body is too large.
        var expected = declared ?? limits.MaxGraphQLBodyBytes + 1L;
        var body = new BufferedBody(budget);
        using var deadline = new CancellationTokenSource(limits.GraphQLBodyTimeout, time);
        using var aborted = requestAborted.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), deadline);
        try
        {
            while (body.Length < expected)
            {
                var space = body.GetSpace(expected - body.Length);
                if (space.IsEmpty)
                {
                    return new BodyRead(null, Refusal.Overloaded(OverloadedRetryAfterSeconds));
                }

                var read = await request.Body.ReadAsync(space, deadline.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                body.Advance(read);
            }

            if (body.Length > limits.MaxGraphQLBodyBytes)
            {
                return new BodyRead(null, Refusal.PayloadTooLarge);
            }

            var complete = body;
            body = null;
            return new BodyRead(complete, null);
        }
        catch (OperationCanceledException) when (!requestAborted.IsCancellationRequested)
        {
            return new BodyRead(null, Refusal.BodyTimeout);
        }
        catch (BadHttpRequestException ex)
        {
            // Kestrel's verdict on the body itself (bad chunk framing, too slow a data rate): a refusal like any
            // other, not an unhandled exception logged with its stack at every malformed request.
            return new BodyRead(null, ex.StatusCode switch
            {
                StatusCodes.Status408RequestTimeout => Refusal.BodyTimeout,
                StatusCodes.Status413PayloadTooLarge => Refusal.PayloadTooLarge,
                _ => Refusal.InvalidGraphQL("the request body is not framed correctly"),
            });
        }
        finally
        {
            // Every path but success gives the buffers and their reservation back at once.
            body?.Dispose();
        }
    }

    /// <summary>
    /// Puts the buffered body back so the proxy forwards exactly what was judged. The buffers go back to the pool,
    /// and their bytes to the budget, when the request ends.
    /// </summary>
    public static void Replace(HttpContext context, BufferedBody body)
    {
        context.Response.RegisterForDispose(body);
        context.Request.Body = body.AsStream();
        // A chunked request keeps being forwarded chunked; a sized one keeps its length.
        if (context.Request.ContentLength is not null)
        {
            context.Request.ContentLength = body.Length;
        }
    }
}
