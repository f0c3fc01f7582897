using System.Text;
using CsCheck;

namespace Gateway.Tests.Fuzzing;

/// <summary>Inputs with no model: random bytes, valid bodies and documents with random edits, and token soup.</summary>
public static class FuzzInput
{
    public const string Mutation = "mutation M { x }";

    private static readonly string[] SoupTokens =
    [
        "{", "}", "[", "]", ":", ",", "\"", "\\", "\\u0071", "\\ud800", "query", "\"query\"", "mutation", "subscription", "fragment",
        "on", "...", "$v", "@d", "(", ")", "=", "!", "\"\"\"", "#", "\n", "\r", " ", "1", "-0.5e3", "null", "true", "\"variables\"",
        "\"extensions\"", "\"persistedQuery\"", "type", "schema", "extend", "é", "\uFEFF", "\0", "\t", "\\\"\"\"", "F0", "a:",
    ];

    private static readonly Gen<(int Position, int Kind, byte Value)[]> Edits = Gen.Select(Gen.Int[0, int.MaxValue], Gen.Int[0, 3], Gen.Byte).Array[1, 4];

    public static readonly Gen<byte[]> Bytes = Gen.Frequency<byte[]>(
        (3, Gen.Byte.Array[0, 300]),
        (4, Gen.Select(GraphQLBodies.Request, Edits, (request, edits) => Edit(GraphQLBodies.Render(request).Bytes, edits))),
        (3, Gen.Select(GraphQLGenerators.Document, Edits, (doc, edits) => Edit(Encoding.UTF8.GetBytes(GraphQLRenderer.Render(doc).Text), edits))),
        (2, Gen.OneOf(SoupTokens).Array[1, 60].Select(tokens => Encoding.UTF8.GetBytes(string.Concat(tokens)))));

    public static string Print(byte[] bytes) =>
        $"{bytes.Length} bytes: {Encoding.UTF8.GetString(bytes)} | hex {Convert.ToHexString(bytes.AsSpan(0, Math.Min(bytes.Length, 400)))}";

    // Replaces, inserts, deletes a byte, or cuts the input short, at positions taken modulo the length.
    private static byte[] Edit(byte[] input, (int Position, int Kind, byte Value)[] edits)
    {
        var bytes = new List<byte>(input);
        foreach (var (position, kind, value) in edits)
        {
            if (bytes.Count == 0)
            {
                bytes.Add(value);
                continue;
            }

            var at = position % bytes.Count;
            switch (kind)
            {
                case 0:
                    bytes[at] = value;
                    break;
                case 1:
                    bytes.Insert(at, value);
                    break;
                case 2:
                    bytes.RemoveAt(at);
                    break;
                default:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
            }
        }

        return bytes.ToArray();
    }
}
