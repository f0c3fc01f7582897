using System.Text.Json;
using System.Text.Unicode;
using Gateway.GraphQL;

namespace Gateway.WebSockets;

/// <summary>The two GraphQL-over-WebSocket subprotocols the relay understands.</summary>
public enum GraphQLSubprotocol : byte
{
    /// <summary><c>graphql-transport-ws</c> (the graphql-ws library): operations are <c>subscribe</c>.</summary>
    TransportWs,
    /// <summary><c>graphql-ws</c> (the older subscriptions-transport-ws): operations are <c>start</c>.</summary>
    LegacyWs,
}

/// <summary>What the relay does with one client message.</summary>
public enum MessageAction : byte
{
    /// <summary>Forward as is: not an operation (connection_init, ping, pong, complete, stop, connection_terminate).</summary>
    Forward,
    /// <summary>An operation: forward only when the key has <see cref="MessageVerdict.Need"/> on graphql.</summary>
    Operation,
    /// <summary>Close the connection with 4400; the message is not forwarded.</summary>
    Invalid,
}

public readonly record struct MessageVerdict(MessageAction Action, GraphQLNeed Need, string? Detail)
{
    public static MessageVerdict Forward => new(MessageAction.Forward, GraphQLNeed.Read, null);

    public static MessageVerdict Invalid(string detail) => new(MessageAction.Invalid, GraphQLNeed.ReadWrite, detail);
}

/// <summary>
/// Judges one text message a client sends on a GraphQL WebSocket. Pure and thread-safe; never throws. Deny by
/// default: a message is forwarded only when its envelope is strict JSON with exactly the members its type
/// defines, its type is one a client may send in the negotiated subprotocol, and, for an operation, its payload
/// passes the same classifier and limits as a POST <c>application/json</c> body.
/// </summary>
public static class GraphQLMessageJudge
{
    // Member names that would make a payload look like a GraphQL request to a lenient server. A connection_init,
    // ping or pong payload is opaque to the protocol (graphql-ws hands it to onConnect as connectionParams, Apollo
    // and Hot Chocolate likewise) and never executed, but a server that merged it into a request would run what
    // the gateway never judged; so such names anywhere in it close the connection. Compared case-insensitively.
    private static readonly string[] OperationMemberNames =
        ["query", "mutation", "subscription", "operationName", "variables", "extensions", "persistedQuery", "documentId", "doc_id", "queryId"];

    private static readonly JsonReaderOptions ReaderOptions = new()
    {
        MaxDepth = 64,
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
    };

    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        MaxDepth = 64,
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
        AllowDuplicateProperties = false,
    };

    public static MessageVerdict Judge(ReadOnlySpan<byte> message, GraphQLSubprotocol protocol, GraphQLLimits limits, AcceptedDocuments? accepted = null)
    {
        if (!Utf8.IsValid(message))
        {
            return MessageVerdict.Invalid("message is not valid UTF-8");
        }

        if (!TryReadEnvelope(message, out var envelope, out var error))
        {
            return MessageVerdict.Invalid(error);
        }

        var payload = envelope.PayloadStart < 0 ? default : message[envelope.PayloadStart..envelope.PayloadEnd];
        return (protocol, envelope.Type) switch
        {
            (_, "connection_init") => Opaque(envelope, payload, allowNullPayload: true),
            (GraphQLSubprotocol.TransportWs, "ping" or "pong") => Opaque(envelope, payload, allowNullPayload: true),
            (GraphQLSubprotocol.TransportWs, "subscribe") => Operation(envelope, payload, limits, accepted),
            (GraphQLSubprotocol.TransportWs, "complete") => IdOnly(envelope),
            (GraphQLSubprotocol.LegacyWs, "start") => Operation(envelope, payload, limits, accepted),
            (GraphQLSubprotocol.LegacyWs, "stop") => IdOnly(envelope),
            (GraphQLSubprotocol.LegacyWs, "connection_terminate") => Bare(envelope),
            _ => MessageVerdict.Invalid($"message type '{GraphQLVerdict.Echo(envelope.Type)}' is not one a client sends in this subprotocol"),
        };
    }

    private static MessageVerdict Operation(in Envelope envelope, ReadOnlySpan<byte> payload, GraphQLLimits limits, AcceptedDocuments? accepted)
    {
        if (envelope.Id is null)
        {
            return MessageVerdict.Invalid("an operation message needs a string id");
        }

        if (payload.IsEmpty || payload[0] != (byte)'{')
        {
            // The protocols define one request object; a batch array or null is something no server is promised.
            return MessageVerdict.Invalid("an operation payload must be one GraphQL request object");
        }

        var verdict = GraphQLClassifier.ClassifyJsonBody(payload, limits, accepted);
        return verdict.IsRefused
            ? MessageVerdict.Invalid(verdict.Detail ?? "the operation payload is not a valid GraphQL request")
            : new MessageVerdict(MessageAction.Operation, verdict.Need, null);
    }

    private static MessageVerdict Opaque(in Envelope envelope, ReadOnlySpan<byte> payload, bool allowNullPayload)
    {
        if (envelope.Id is not null)
        {
            return MessageVerdict.Invalid($"a '{envelope.Type}' message has no id");
        }

        if (payload.IsEmpty || (allowNullPayload && payload.SequenceEqual("null"u8)))
        {
            return MessageVerdict.Forward;
        }

        if (payload[0] != (byte)'{')
        {
            return MessageVerdict.Invalid($"a '{envelope.Type}' payload must be a JSON object");
        }

        try
        {
            using var document = JsonDocument.Parse(payload.ToArray(), DocumentOptions);
            return HoldsOperationMember(document.RootElement)
                ? MessageVerdict.Invalid($"a '{envelope.Type}' payload must not carry GraphQL request members")
                : MessageVerdict.Forward;
        }
        catch (JsonException)
        {
            // Duplicate member names included: two readers could see two different payloads.
            return MessageVerdict.Invalid($"a '{envelope.Type}' payload is not strict JSON");
        }
    }

    private static bool HoldsOperationMember(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var member in element.EnumerateObject())
                {
                    foreach (var name in OperationMemberNames)
                    {
                        if (string.Equals(member.Name.Trim(), name, StringComparison.OrdinalIgnoreCase))
                        {
                            return true;
                        }
                    }

                    if (HoldsOperationMember(member.Value))
                    {
                        return true;
                    }
                }

                return false;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    if (HoldsOperationMember(item))
                    {
                        return true;
                    }
                }

                return false;
            default:
                return false;
        }
    }

    private static MessageVerdict IdOnly(in Envelope envelope) =>
        envelope.Id is null ? MessageVerdict.Invalid($"a '{envelope.Type}' message needs a string id")
        : envelope.PayloadStart >= 0 ? MessageVerdict.Invalid($"a '{envelope.Type}' message has no payload")
        : MessageVerdict.Forward;

    private static MessageVerdict Bare(in Envelope envelope) =>
        envelope.Id is not null || envelope.PayloadStart >= 0
            ? MessageVerdict.Invalid($"a '{envelope.Type}' message has neither id nor payload")
            : MessageVerdict.Forward;

    private ref struct Envelope
    {
        public string Type;
        public string? Id;
        public int PayloadStart;
        public int PayloadEnd;
    }

    /// <summary>One object with <c>type</c> (a string), and optionally <c>id</c> (a string) and <c>payload</c>; nothing else, nothing twice.</summary>
    private static bool TryReadEnvelope(ReadOnlySpan<byte> message, out Envelope envelope, out string error)
    {
        envelope = new Envelope { Type = "", PayloadStart = -1, PayloadEnd = -1 };
        string? type = null;
        var seenId = false;
        var reader = new Utf8JsonReader(message, ReaderOptions);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                error = "message must be a JSON object";
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                // Unescaped, so "typ\u0065" is "type" here as it is for the upstream's parser.
                var name = reader.GetString();
                reader.Read();
                switch (name)
                {
                    case "type" when type is null && reader.TokenType == JsonTokenType.String:
                        type = reader.GetString()!;
                        break;
                    case "id" when !seenId && reader.TokenType == JsonTokenType.String:
                        seenId = true;
                        envelope.Id = reader.GetString();
                        break;
                    case "payload" when envelope.PayloadStart < 0:
                        envelope.PayloadStart = (int)reader.TokenStartIndex;
                        reader.Skip();
                        envelope.PayloadEnd = (int)reader.BytesConsumed;
                        break;
                    default:
                        error = name is "type" or "id" or "payload"
                            ? $"member '{name}' is repeated or of the wrong type"
                            : $"member '{GraphQLVerdict.Echo(name)}' is not part of the protocol";
                        return false;
                }
            }

            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                error = "trailing data after the JSON object";
                return false;
            }
        }
        catch (JsonException)
        {
            error = "message is not strict JSON";
            return false;
        }

        if (type is null)
        {
            error = "message has no string 'type'";
            return false;
        }

        envelope.Type = type;
        error = "";
        return true;
    }
}
