using System.Net.Sockets;
using System.Text;

namespace Gateway.Tests.Enforcement;

/// <summary>
/// HTTP/1.1 written byte for byte over a <see cref="TcpClient"/>, for request targets and header lines that
/// <see cref="HttpClient"/> would normalise or refuse to send (raw backslashes, dot segments, repeated
/// <c>Authorization</c> lines, control characters). Every request is sent with <c>Connection: close</c>.
/// </summary>
public static class RawHttp
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Sends <paramref name="method"/> <paramref name="target"/> with the given header lines and body: with its
    /// <c>Content-Length</c>, or <paramref name="chunked"/> as one chunk (none when empty) and the last chunk.
    /// </summary>
    public static Task<ProxyResponse> SendAsync(Uri server, string method, string target, IEnumerable<string> headerLines, byte[]? body = null, bool chunked = false)
    {
        var head = new StringBuilder();
        head.Append(method).Append(' ').Append(target).Append(" HTTP/1.1\r\n");
        head.Append("Host: ").Append(server.Authority).Append("\r\n");
        foreach (var line in headerLines)
        {
            head.Append(line).Append("\r\n");
        }

        if (body is not null && chunked)
        {
            head.Append("Transfer-Encoding: chunked\r\n");
            body = body.Length == 0
                ? "0\r\n\r\n"u8.ToArray()
                : [.. Encoding.ASCII.GetBytes($"{body.Length:x}\r\n"), .. body, .. "\r\n0\r\n\r\n"u8];
        }
        else if (body is not null)
        {
            head.Append("Content-Length: ").Append(body.Length).Append("\r\n");
        }

        head.Append("Connection: close\r\n\r\n");
        // Latin-1 keeps every char below 0x100 as exactly one byte, so control characters go out unchanged.
        var bytes = Encoding.Latin1.GetBytes(head.ToString());
        return SendBytesAsync(server, body is null ? bytes : [.. bytes, .. body]);
    }

    public static async Task<ProxyResponse> SendBytesAsync(Uri server, byte[] request)
    {
        using var timeout = new CancellationTokenSource(Deadline);
        using var client = new TcpClient();
        await client.ConnectAsync(server.Host, server.Port, timeout.Token);
        var stream = client.GetStream();
        await stream.WriteAsync(request, timeout.Token);
        await stream.FlushAsync(timeout.Token);

        using var received = new MemoryStream();
        try
        {
            await stream.CopyToAsync(received, timeout.Token);
        }
        catch (IOException) when (received.Length > 0)
        {
            // The server may reset the connection right after a refusal; what it sent before counts.
        }

        return Parse(received.ToArray());
    }

    internal static ProxyResponse Parse(byte[] response)
    {
        var text = Encoding.Latin1.GetString(response);
        var endOfHead = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (endOfHead < 0)
        {
            throw new InvalidOperationException($"No complete response head in {response.Length} bytes: {text}");
        }

        var lines = text[..endOfHead].Split("\r\n");
        var status = int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':');
            var name = line[..colon];
            var value = line[(colon + 1)..].Trim();
            headers[name] = headers.TryGetValue(name, out var earlier) ? earlier + ", " + value : value;
        }

        var body = response.AsSpan(endOfHead + 4).ToArray();
        if (headers.TryGetValue("Transfer-Encoding", out var coding) && coding.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            body = Dechunk(body);
        }

        return new ProxyResponse(status, headers, Encoding.UTF8.GetString(body));
    }

    private static byte[] Dechunk(byte[] chunked)
    {
        using var output = new MemoryStream();
        var position = 0;
        while (position < chunked.Length)
        {
            var lineEnd = chunked.AsSpan(position).IndexOf("\r\n"u8);
            var sizeText = Encoding.ASCII.GetString(chunked, position, lineEnd).Split(';')[0];
            var size = Convert.ToInt32(sizeText, 16);
            position += lineEnd + 2;
            if (size == 0)
            {
                break;
            }

            output.Write(chunked, position, size);
            position += size + 2;
        }

        return output.ToArray();
    }
}
