using System.Collections.Concurrent;
using Gateway.Observability;
using Microsoft.Extensions.Options;

namespace Gateway.GraphQL;

/// <summary>
/// Documents the classifier has accepted, by their exact text, with what it found in them. Parsing is most of
/// the cost of a GraphQL request (about 8 µs and 10 KB for a 1 KB query, bench/HotPath) and clients send the same few
/// documents again and again; the verdict is a pure function of the text, so a document seen before gets the very
/// same answer without a parse. Refused documents are not kept: they are re-judged every time, as before. The size
/// facts are kept too, so a cached document still spends its request's token and alias budget and still meets the
/// depth limit in force: a batch of cached documents, or a lowered limit, is judged exactly as without the cache.
/// One per process (a DI singleton), handed to the classifier by its callers; the classifier itself holds no state.
/// </summary>
public sealed class AcceptedDocuments(int capacity, int maxLength, GatewayMetrics? metrics = null)
{
    public AcceptedDocuments(IOptions<GraphQLDocumentCacheOptions> options, GatewayMetrics metrics)
        : this(options.Value.MaxEntries, options.Value.MaxDocumentLength, metrics)
    {
    }

    // Ordinal and exact: two documents share an entry only when every character is the same.
    private readonly ConcurrentDictionary<string, DocumentFacts> _facts = new(StringComparer.Ordinal);
    private int _count;

    /// <summary>About how many documents are held; never much above the capacity.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>The longest document <see cref="Add"/> keeps.</summary>
    public int MaxLength => maxLength;

    internal bool TryGet(string document, out DocumentFacts facts)
    {
        var found = _facts.TryGetValue(document, out facts);
        metrics?.GraphQLDocumentCacheLookup(found);
        return found;
    }

    internal void Add(string document, DocumentFacts facts)
    {
        if (document.Length > maxLength || capacity == 0)
        {
            return;
        }

        if (Volatile.Read(ref _count) >= capacity)
        {
            // Emptied at once rather than evicted one by one: memory stays bounded (capacity × maxLength characters,
            // give or take the adds that race this), and a client sending ever-new documents costs only the parse
            // it always cost. Concurrent adds may leave the count a little low, never unbounded.
            _facts.Clear();
            Volatile.Write(ref _count, 0);
        }

        if (_facts.TryAdd(document, facts))
        {
            Interlocked.Increment(ref _count);
        }
    }
}

/// <summary>What an accepted document holds: whether a mutation, its deepest field nesting, aliases, and tokens (-1: not counted).</summary>
internal readonly record struct DocumentFacts(bool HasMutation, int Depth, int Aliases, int Tokens);
