using System.Text.Json;
using System.Text.Unicode;

namespace Gateway.GraphQL;

/// <summary>
/// Reads a GraphQL-over-HTTP JSON body in one forward pass with <see cref="Utf8JsonReader"/>:
/// strict JSON, no duplicate member names at any depth, only the four request members.
/// </summary>
internal static class GraphQLJsonRequestReader
{
    // Deeper than any real variables object; bounds the recursion in ScanValue below too.
    internal const int MaxJsonDepth = 64;

    // Spelled out although these are the defaults: no comments, no trailing commas, one value.
    // A lenient upstream and a strict gateway are safe; the reverse is not.
    private static readonly JsonReaderOptions s_readerOptions = new()
    {
        MaxDepth = MaxJsonDepth,
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
    };

    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    [Flags]
    private enum Member : byte
    {
        None = 0,
        Query = 1,
        OperationName = 2,
        Variables = 4,
        Extensions = 8,
    }

    // A leading UTF-8 BOM is accepted and skipped. RFC 8259 §8.1 lets a parser ignore it, and
    // some Windows clients send one. Skipping it cannot make the gateway judge a document other
    // than the one the upstream runs: the upstream either skips it too or rejects the body.
    internal static ReadOnlySpan<byte> SkipBom(ReadOnlySpan<byte> body) =>
        body.StartsWith(Utf8Bom) ? body[Utf8Bom.Length..] : body;

    public static GraphQLVerdict Classify(ReadOnlySpan<byte> body, GraphQLLimits limits, AcceptedDocuments? accepted = null)
    {
        body = SkipBom(body);

        // Checked up front (vectorised, cheap) because the reader only validates UTF-8 in the
        // strings it is asked to decode, and the upstream gets every byte.
        if (!Utf8.IsValid(body))
        {
            return GraphQLVerdict.Invalid("body is not valid UTF-8");
        }

        var reader = new Utf8JsonReader(body, s_readerOptions);
        var names = new JsonMemberNameSet();
        // One budget for the whole body: a batch cannot multiply the limits by its length.
        var budget = new GraphQLBudget(limits, body.Length, accepted);
        try
        {
            if (!reader.Read())
            {
                return GraphQLVerdict.Invalid("body is empty");
            }

            GraphQLVerdict verdict = reader.TokenType switch
            {
                JsonTokenType.StartObject => ReadRequest(ref reader, ref names, ref budget),
                JsonTokenType.StartArray => ReadBatch(ref reader, ref names, ref budget),
                _ => GraphQLVerdict.Invalid("body must be a JSON object or a JSON array of objects"),
            };
            if (verdict.IsRefused)
            {
                return verdict;
            }

            // After the one top-level value only white space may follow; anything else throws.
            return reader.Read() ? GraphQLVerdict.Invalid("trailing data after the JSON value") : verdict;
        }
        catch (JsonException ex)
        {
            // Depth is reported apart because it is the one JSON error a client may not expect.
            return IsDepthError(reader, body)
                ? GraphQLVerdict.Invalid($"JSON nests deeper than {MaxJsonDepth} levels")
                : GraphQLVerdict.Invalid($"body is not valid JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1})");
        }
        catch (InvalidOperationException)
        {
            // Thrown when a string is decoded that holds an unpaired \uD800-style escape.
            return GraphQLVerdict.Invalid("a JSON string holds an invalid escape");
        }
        finally
        {
            names.Dispose();
        }
    }

    // JsonException has no error kind. The depth error is the one where the reader, already at
    // the deepest allowed level, next meets an opening bracket.
    private static bool IsDepthError(in Utf8JsonReader reader, ReadOnlySpan<byte> body)
    {
        if (reader.CurrentDepth < MaxJsonDepth - 1)
        {
            return false;
        }

        ReadOnlySpan<byte> rest = body[(int)reader.BytesConsumed..].TrimStart(" \t\r\n:,"u8);
        return !rest.IsEmpty && rest[0] is (byte)'[' or (byte)'{';
    }

    private static GraphQLVerdict ReadBatch(ref Utf8JsonReader reader, ref JsonMemberNameSet names, ref GraphQLBudget budget)
    {
        GraphQLNeed need = GraphQLNeed.Read;
        int count = 0;
        while (Next(ref reader) != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                return GraphQLVerdict.Invalid($"batch entry {count} is not a JSON object");
            }

            GraphQLVerdict entry = ReadRequest(ref reader, ref names, ref budget);
            if (entry.IsRefused)
            {
                return entry with { Detail = $"batch entry {count}: {entry.Detail}" };
            }

            need = GraphQLVerdict.Max(need, entry.Need);
            count++;
        }

        return count == 0 ? GraphQLVerdict.Invalid("the batch is empty") : GraphQLVerdict.Allow(need);
    }

    // The reader sits on the request's StartObject; on return it sits on its EndObject.
    private static GraphQLVerdict ReadRequest(ref Utf8JsonReader reader, ref JsonMemberNameSet names, ref GraphQLBudget budget)
    {
        Member seen = Member.None;
        string? query = null;
        bool persistedQuery = false;

        while (Next(ref reader) != JsonTokenType.EndObject)
        {
            // ValueTextEquals compares the unescaped name, so "\u0071uery" is "query".
            Member member = Identify(ref reader);
            if (member == Member.None)
            {
                // Case-sensitive on purpose: an upstream that folds case would otherwise read a
                // "Query" member the gateway never looked at.
                return GraphQLVerdict.Invalid($"request member \"{GraphQLVerdict.Echo(reader.GetString())}\" is not allowed");
            }

            if ((seen & member) != 0)
            {
                return GraphQLVerdict.Invalid($"duplicate request member \"{MemberName(member)}\"");
            }

            seen |= member;
            JsonTokenType value = Next(ref reader);
            switch (member)
            {
                case Member.Query when value == JsonTokenType.String:
                    // The one string the gateway needs, decoded once (escapes included).
                    query = reader.GetString();
                    break;
                case Member.Query or Member.OperationName when value == JsonTokenType.Null:
                case Member.OperationName when value == JsonTokenType.String:
                case Member.Variables or Member.Extensions when value == JsonTokenType.Null:
                    break;
                case Member.Variables when value == JsonTokenType.StartObject:
                    if (!ScanObject(ref reader, ref names, out _))
                    {
                        return DuplicateName();
                    }

                    break;
                case Member.Extensions when value == JsonTokenType.StartObject:
                    if (!ScanObject(ref reader, ref names, out persistedQuery))
                    {
                        return DuplicateName();
                    }

                    break;
                default:
                    return GraphQLVerdict.Invalid(member is Member.Query or Member.OperationName
                        ? $"\"{MemberName(member)}\" must be a string or null"
                        : $"\"{MemberName(member)}\" must be an object or null");
            }
        }

        if (query is not null)
        {
            // A persisted-query extension next to a query does not matter: the document sent is
            // the one the upstream runs (and registers), so the document is what is judged.
            return GraphQLClassifier.ClassifyDocument(query, ref budget, out _);
        }

        // The operations of a persisted query live upstream, out of the gateway's sight, so the
        // request needs the highest level: fails closed.
        return persistedQuery
            ? GraphQLVerdict.Allow(GraphQLNeed.ReadWrite)
            : GraphQLVerdict.Invalid("the request has no query and no persisted query");
    }

    private static Member Identify(ref Utf8JsonReader reader)
    {
        if (reader.ValueTextEquals("query"u8))
        {
            return Member.Query;
        }

        if (reader.ValueTextEquals("operationName"u8))
        {
            return Member.OperationName;
        }

        if (reader.ValueTextEquals("variables"u8))
        {
            return Member.Variables;
        }

        return reader.ValueTextEquals("extensions"u8) ? Member.Extensions : Member.None;
    }

    private static string MemberName(Member member) => member switch
    {
        Member.Query => "query",
        Member.OperationName => "operationName",
        Member.Variables => "variables",
        _ => "extensions",
    };

    private static GraphQLVerdict DuplicateName() =>
        GraphQLVerdict.Invalid("duplicate JSON member name in variables or extensions");

    // Walks an object (reader on its StartObject, left on its EndObject), checking that no object
    // inside repeats a member name. Also reports whether a top-level "persistedQuery" member holds
    // an object, which is all the extensions object is read for.
    private static bool ScanObject(ref Utf8JsonReader reader, ref JsonMemberNameSet names, out bool persistedQuery)
    {
        persistedQuery = false;
        int mark = names.BeginObject();
        while (Next(ref reader) != JsonTokenType.EndObject)
        {
            bool isPersistedQuery = reader.ValueTextEquals("persistedQuery"u8);
            names.Add(ref reader);
            Next(ref reader);
            persistedQuery |= isPersistedQuery && reader.TokenType == JsonTokenType.StartObject;
            if (!ScanValue(ref reader, ref names))
            {
                // No unwinding: one repeated name refuses the whole body.
                return false;
            }
        }

        return names.EndObject(mark);
    }

    // Recursion is bounded by MaxJsonDepth: the reader throws before going deeper.
    private static bool ScanValue(ref Utf8JsonReader reader, ref JsonMemberNameSet names)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                return ScanObject(ref reader, ref names, out _);
            case JsonTokenType.StartArray:
                while (Next(ref reader) != JsonTokenType.EndArray)
                {
                    if (!ScanValue(ref reader, ref names))
                    {
                        return false;
                    }
                }

                return true;
            default:
                return true;
        }
    }

    // With the whole body in hand (isFinalBlock), the reader throws on a truncated body rather
    // than running out; the throw below only guards that assumption.
    private static JsonTokenType Next(ref Utf8JsonReader reader) =>
        reader.Read() ? reader.TokenType : throw new JsonException("unexpected end of JSON");
}
