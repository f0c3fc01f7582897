using System.Buffers;

namespace Gateway.Enforcement;

/// <summary>Buffers a GraphQL request body, never more than the limit, so it can be classified and then forwarded byte for byte.</summary>
internal static class GraphQLBodyReader
{
    /// <summary>The body, or <c>null</c> when it is larger than <paramref name="limit"/>.</summary>
    public static async Task<byte[]?> ReadAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength is { } declared && declared > limit)
        {
            return null;
        }

        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(limit + 1L, request.ContentLength + 1 ?? 16 * 1024));
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length > limit)
                    {
                        return null;
                    }

                    var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(limit + 1L, buffer.Length * 2L));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = await request.Body.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                length += read;
                if (length > limit)
                {
                    return null;
                }
            }

            return buffer.AsSpan(0, length).ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Puts the buffered body back so the proxy forwards exactly what was judged.</summary>
    public static void Replace(HttpContext context, byte[] body)
    {
        context.Request.Body = new MemoryStream(body, writable: false);
        // A chunked request keeps being forwarded chunked; a sized one keeps its length.
        if (context.Request.ContentLength is not null)
        {
            context.Request.ContentLength = body.Length;
        }
    }
}
