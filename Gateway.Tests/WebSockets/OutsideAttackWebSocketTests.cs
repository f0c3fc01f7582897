using System.Buffers.Binary;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Gateway.Tests.WebSockets;

/// <summary>
/// WebSocket frames ClientWebSocket will not send, written byte for byte over a socket: control frames between the
/// fragments of a message, unmasked and RSV-flagged frames, a continuation with no message, invalid UTF-8, the 64-bit
/// length form, a close frame whose reason holds a mutation, and several messages in one TCP write. A read key never
/// gets a mutation to the upstream, whatever the framing.
/// </summary>
public sealed class OutsideAttackWebSocketTests(WebSocketFixture gateway) : IClassFixture<WebSocketFixture>
{
    private const string Init = "{\"type\":\"connection_init\"}";
    private static readonly string Mutation = WsClient.Subscribe("1", "mutation { deletePod(id: \"x\") }");
    private static readonly string Query = WsClient.Subscribe("2", "subscription { podStatus { id } }");
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    private const byte Continuation = 0x0, Text = 0x1, Close = 0x8, Ping = 0x9;

    public static TheoryData<string, int> Cases => new()
    {
        { "ping-between-fragments", 4403 },
        { "unmasked", 1002 },
        { "rsv1-as-if-deflated", 1002 },
        { "continuation-first", 1002 },
        { "invalid-utf8", 1007 },
        { "64-bit-length", 4403 },
        { "query-then-mutation-one-write", 4403 },
        // graphql-java's lexer ends the comment at U+2028: a second operation, which operationName B runs.
        { "comment-ended-by-u2028", 4400 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task RawFrames_NeverGetAMutationToTheUpstream(string name, int closeStatus)
    {
        var marker = "raw-" + name;
        var frames = name switch
        {
            "ping-between-fragments" => Concat(Frame(Text, Mutation[..12], fin: false), Frame(Ping, "x"), Frame(Continuation, Mutation[12..])),
            "unmasked" => Frame(Text, Mutation, mask: false),
            "rsv1-as-if-deflated" => Frame(Text, Mutation, rsv: 0x40),
            "continuation-first" => Frame(Continuation, Mutation),
            "invalid-utf8" => Frame(Text, [.. Encoding.UTF8.GetBytes(Mutation[..^2]), 0xC0, 0xAF, (byte)'}', (byte)'}']),
            "64-bit-length" => Frame(Text, Mutation, longLength: true),
            "query-then-mutation-one-write" => Concat(Frame(Text, Query), Frame(Text, Mutation)),
            "comment-ended-by-u2028" => Frame(Text, "{\"id\":\"3\",\"type\":\"subscribe\",\"payload\":{\"query\":\"subscription A{a} #\u2028mutation B{b}\",\"operationName\":\"B\"}}"),
            _ => throw new ArgumentOutOfRangeException(nameof(name)),
        };

        var close = await RunAsync(marker, [Frame(Text, Init), frames]);

        Assert.Equal(closeStatus, close);
        // connection_init may or may not have reached the upstream before a protocol error aborted both sides.
        var seen = gateway.Upstream.MessagesFor(marker);
        Assert.DoesNotContain(seen, m => m.Contains("mutation", StringComparison.Ordinal));
    }

    [Fact]
    public async Task CloseFrameReason_IsNeverAMessageToTheUpstream()
    {
        const string Marker = "raw-close-reason";
        var reason = Encoding.UTF8.GetBytes("mutation{a}");

        await RunAsync(Marker, [Frame(Text, Init), Frame(Close, [0x03, 0xE8, .. reason])], expectClose: false);

        Assert.DoesNotContain(gateway.Upstream.MessagesFor(Marker), m => m.Contains("mutation", StringComparison.Ordinal));
    }

    /// <summary>Upgrades with the read key, sends each chunk in its own write, and returns the close status the gateway sent.</summary>
    private async Task<int?> RunAsync(string marker, byte[][] writes, bool expectClose = true)
    {
        using var timeout = new CancellationTokenSource(Deadline);
        using var client = new TcpClient();
        await client.ConnectAsync(gateway.Proxy.Host, gateway.Proxy.Port, timeout.Token);
        var stream = client.GetStream();
        var head = $"GET /graphql HTTP/1.1\r\nHost: {gateway.Proxy.Authority}\r\n{WsClient.MarkerHeader}: {marker}\r\n"
            + $"Authorization: Bearer {gateway.ReadKey}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), timeout.Token);

        var received = new List<byte>();
        var buffer = new byte[16 * 1024];
        int endOfHead;
        while ((endOfHead = IndexOfHeadEnd(received)) < 0)
        {
            var read = await stream.ReadAsync(buffer, timeout.Token);
            Assert.True(read > 0, "the gateway closed before answering the upgrade");
            received.AddRange(buffer.AsSpan(0, read));
        }

        Assert.StartsWith("HTTP/1.1 101 ", Encoding.ASCII.GetString(received.ToArray(), 0, endOfHead), StringComparison.Ordinal);
        received.RemoveRange(0, endOfHead + 4);
        foreach (var write in writes)
        {
            await stream.WriteAsync(write, timeout.Token);
        }

        // Reads server frames until a close frame or the end of the connection.
        try
        {
            while (true)
            {
                if (CloseStatus(received) is { } status)
                {
                    return status;
                }

                var read = await stream.ReadAsync(buffer, timeout.Token);
                if (read == 0)
                {
                    break;
                }

                received.AddRange(buffer.AsSpan(0, read));
            }
        }
        catch (IOException)
        {
            // A reset after the close frame: what arrived before counts.
        }

        Assert.False(expectClose, $"[{marker}] the connection ended without a close frame");
        return null;
    }

    private static int IndexOfHeadEnd(List<byte> bytes)
    {
        for (var i = 0; i + 3 < bytes.Count; i++)
        {
            if (bytes[i] == '\r' && bytes[i + 1] == '\n' && bytes[i + 2] == '\r' && bytes[i + 3] == '\n')
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The status of the first complete close frame among the server's (unmasked) frames, if one arrived.</summary>
    private static int? CloseStatus(List<byte> bytes)
    {
        var i = 0;
        while (i + 2 <= bytes.Count)
        {
            var opcode = bytes[i] & 0x0F;
            long length = bytes[i + 1] & 0x7F;
            var at = i + 2;
            if (length == 126)
            {
                if (at + 2 > bytes.Count)
                {
                    return null;
                }

                length = (bytes[at] << 8) | bytes[at + 1];
                at += 2;
            }
            else if (length == 127)
            {
                if (at + 8 > bytes.Count)
                {
                    return null;
                }

                length = BinaryPrimitives.ReadInt64BigEndian(bytes.GetRange(at, 8).ToArray());
                at += 8;
            }

            if (at + length > bytes.Count)
            {
                return null;
            }

            if (opcode == Close)
            {
                return length >= 2 ? (bytes[at] << 8) | bytes[at + 1] : 1005;
            }

            i = at + (int)length;
        }

        return null;
    }

    private static byte[] Frame(byte opcode, string payload, bool fin = true, bool mask = true, byte rsv = 0, bool longLength = false) =>
        Frame(opcode, Encoding.UTF8.GetBytes(payload), fin, mask, rsv, longLength);

    private static byte[] Frame(byte opcode, byte[] payload, bool fin = true, bool mask = true, byte rsv = 0, bool longLength = false)
    {
        var frame = new List<byte> { (byte)((fin ? 0x80 : 0) | rsv | opcode) };
        var maskBit = mask ? (byte)0x80 : (byte)0;
        if (longLength)
        {
            frame.Add((byte)(maskBit | 127));
            var length = new byte[8];
            BinaryPrimitives.WriteInt64BigEndian(length, payload.Length);
            frame.AddRange(length);
        }
        else if (payload.Length < 126)
        {
            frame.Add((byte)(maskBit | payload.Length));
        }
        else
        {
            frame.Add((byte)(maskBit | 126));
            frame.Add((byte)(payload.Length >> 8));
            frame.Add((byte)payload.Length);
        }

        if (!mask)
        {
            frame.AddRange(payload);
            return [.. frame];
        }

        var key = RandomNumberGenerator.GetBytes(4);
        frame.AddRange(key);
        for (var i = 0; i < payload.Length; i++)
        {
            frame.Add((byte)(payload[i] ^ key[i % 4]));
        }

        return [.. frame];
    }

    private static byte[] Concat(params byte[][] frames) => [.. frames.SelectMany(f => f)];
}
