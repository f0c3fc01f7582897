using System.Globalization;
using System.Text;
using CsCheck;

namespace Gateway.Tests.Fuzzing;

/// <summary>One request object of a GraphQL-over-HTTP JSON body: a document, or only a persisted-query extension.</summary>
public sealed record RequestEntry(GraphQLDoc? Doc, bool Persisted, int OperationName, int Variables, int Extensions, int Seed);

/// <summary>A JSON body: one request object, or a batch (an array) of them.</summary>
public sealed record JsonRequest(RequestEntry[] Entries, bool Batch, bool Bom, int Seed);

/// <summary>A rendered body and what its model says it holds.</summary>
public sealed record RenderedBody(byte[] Bytes, Holds Holds)
{
    public string Text => Encoding.UTF8.GetString(Bytes);
}

/// <summary>Generates and writes JSON bodies: members in any order, any JSON white space, strings escaped every way JSON allows.</summary>
public static class GraphQLBodies
{
    private static readonly string[] JsonBlanks = ["", "", " ", "\n", "\t", "\r\n", "  "];
    private static readonly string[] VariableObjects =
    [
        """{"v":1}""",
        """{"v":"mutation { x }","mutation":true,"o":{"a":[1,{"b":null}],"c":"\u0022"}}""",
        """{"\u0076":[],"w":{"query":"mutation { y }"}}""",
        """{}""",
    ];

    public static readonly Gen<RequestEntry> Entry =
        from persistedOnly in Gen.Int[0, 9].Select(n => n == 0)
        from doc in GraphQLGenerators.Document
        from persisted in Gen.Bool
        from operationName in Gen.Int[0, 3]
        from variables in Gen.Int[0, VariableObjects.Length + 1]
        from extensions in Gen.Int[0, 2]
        from seed in Gen.Int
        select new RequestEntry(persistedOnly ? null : doc, persistedOnly || persisted, operationName, variables, extensions, seed);

    public static readonly Gen<JsonRequest> Request =
        from batch in Gen.Int[0, 2].Select(n => n == 0)
        from entries in Entry.Array[1, 4]
        from bom in Gen.Int[0, 5].Select(n => n == 0)
        from seed in Gen.Int
        select new JsonRequest(batch ? entries : entries[..1], batch, bom, seed);

    public static RenderedBody Render(JsonRequest request)
    {
        var random = new Random(request.Seed);
        var json = new StringBuilder();
        var holds = Holds.Nothing;
        if (request.Batch)
        {
            json.Append('[');
        }

        for (var i = 0; i < request.Entries.Length; i++)
        {
            if (i > 0)
            {
                json.Append(Blank(random)).Append(',').Append(Blank(random));
            }

            holds = holds.And(WriteEntry(json, request.Entries[i]));
        }

        if (request.Batch)
        {
            json.Append(Blank(random)).Append(']');
        }

        byte[] bytes = Encoding.UTF8.GetBytes(Blank(random) + json + Blank(random));
        return new RenderedBody(request.Bom ? [0xEF, 0xBB, 0xBF, .. bytes] : bytes, holds);
    }

    /// <summary>A JSON string literal of <paramref name="text"/>, each character written raw or escaped at random.</summary>
    public static string Quote(string text, Random random)
    {
        var quoted = new StringBuilder("\"");
        var escapeNext = false;
        foreach (var c in text)
        {
            // The two halves of a surrogate pair are written alike: one raw half alone is not UTF-8.
            var escape = c is '"' or '\\' || c < 0x20 || (char.IsLowSurrogate(c) ? escapeNext : random.Next(6) == 0);
            escapeNext = escape;
            if (!escape)
            {
                quoted.Append(c);
                continue;
            }

            var shortForm = c switch { '"' => "\\\"", '\\' => "\\\\", '\n' => "\\n", '\r' => "\\r", '\t' => "\\t", '/' => "\\/", '\b' => "\\b", '\f' => "\\f", _ => null };
            quoted.Append(shortForm is not null && random.Next(2) == 0
                ? shortForm
                : "\\u" + ((int)c).ToString(random.Next(2) == 0 ? "X4" : "x4", CultureInfo.InvariantCulture));
        }

        return quoted.Append('"').ToString();
    }

    private static Holds WriteEntry(StringBuilder json, RequestEntry entry)
    {
        var random = new Random(entry.Seed);
        var members = new List<string>();
        var holds = new Holds(HasMutation: true, 0, 0, 0);
        if (entry.Doc is { } doc)
        {
            var (text, tokens) = GraphQLRenderer.Render(doc);
            members.Add(Member("query", random) + Quote(text, random));
            holds = Holds.Of(doc, tokens);
        }
        else if (random.Next(2) == 0)
        {
            members.Add(Member("query", random) + "null");
        }

        if (entry.OperationName > 0)
        {
            members.Add(Member("operationName", random) + (entry.OperationName == 1 ? "null" : Quote(entry.OperationName == 2 ? "Q" : "mutation", random)));
        }

        if (entry.Variables > 0)
        {
            members.Add(Member("variables", random) + (entry.Variables == 1 ? "null" : VariableObjects[entry.Variables - 2]));
        }

        if (entry.Persisted)
        {
            var extension = """{"persistedQuery":{"version":1,"sha256Hash":"ecf4edb46db40b5132295c0291d62fb65d6759a9eedfa4d5d612dd5ec54a6b38"}}""";
            members.Add(Member("extensions", random) + (entry.Extensions == 1 ? extension.Replace("{\"p", "{\"tracing\":true,\"p", StringComparison.Ordinal) : extension));
        }
        else if (entry.Extensions > 0)
        {
            members.Add(Member("extensions", random) + (entry.Extensions == 1 ? "null" : """{"tracing":true}"""));
        }

        json.Append('{');
        var order = members.OrderBy(_ => random.Next()).ToList();
        for (var i = 0; i < order.Count; i++)
        {
            json.Append(Blank(random)).Append(i > 0 ? "," : "").Append(Blank(random)).Append(order[i]);
        }

        json.Append(Blank(random)).Append('}');
        return holds;
    }

    private static string Member(string name, Random random) => Quote(name, random) + Blank(random) + ":" + Blank(random);

    private static string Blank(Random random) => JsonBlanks[random.Next(JsonBlanks.Length)];
}
