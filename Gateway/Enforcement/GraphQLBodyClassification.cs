using System.Buffers;
using Gateway.GraphQL;

namespace Gateway.Enforcement;

/// <summary>Classifies a held body with the span-based classifier.</summary>
internal static class GraphQLBodyClassification
{
    public static GraphQLVerdict Classify(BufferedBody body, bool json, GraphQLLimits limits, AcceptedDocuments accepted)
    {
        if (body.TryGetSingleSpan(out var span))
        {
            return Classify(span, json, limits, accepted);
        }

        // A body of several segments is joined for the classifier, which reads one span in a single pass. The copy
        // lives only while the (synchronous) classification runs, never while a client holds a connection, so it
        // adds nothing to what held bodies pin.
        var joined = ArrayPool<byte>.Shared.Rent((int)body.Length);
        try
        {
            body.Sequence.CopyTo(joined);
            return Classify(joined.AsSpan(0, (int)body.Length), json, limits, accepted);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(joined);
        }
    }

    private static GraphQLVerdict Classify(ReadOnlySpan<byte> body, bool json, GraphQLLimits limits, AcceptedDocuments accepted) => json
        ? GraphQLClassifier.ClassifyJsonBody(body, limits, accepted)
        : GraphQLClassifier.ClassifyDocumentBody(body, limits, accepted);
}
