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
public sealed class AcceptedDocuments
{
    private readonly int _capacity;
    private readonly int _maxLength;
    private readonly GatewayMetrics? _metrics;

    public AcceptedDocuments(int capacity, int maxLength, GatewayMetrics? metrics = null)
    {
        _capacity = capacity;
        _maxLength = maxLength;
        _metrics = metrics;
        _facts = new(StringComparer.Ordinal);
        // Throws at construction, not per request, if the comparer ever stopped supporting spans.
        _bySpan = _facts.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public AcceptedDocuments(IOptions<GraphQLDocumentCacheOptions> options, GatewayMetrics metrics)
        : this(options.Value.MaxEntries, options.Value.MaxDocumentLength, metrics)
    {
    }

    // Ordinal and exact: two documents share an entry only when every character is the same. The comparer is the
    // runtime's ordinal string comparer, whose hash is randomized per process (hash flooding stays as costly to an
    // attacker as for any string dictionary); it also hashes a span of chars the same way, which the lookup below needs.
    private readonly ConcurrentDictionary<string, DocumentFacts> _facts;

    // Looks a document up by its characters wherever they are (a pooled buffer the JSON string was decoded into),
    // so a hit makes no string: the request's document is then never a heap object at all.
    private readonly ConcurrentDictionary<string, DocumentFacts>.AlternateLookup<ReadOnlySpan<char>> _bySpan;
    private int _count;

    /// <summary>About how many documents are held; never much above the capacity.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>The longest document <see cref="Add"/> keeps.</summary>
    public int MaxLength => _maxLength;

    internal bool TryGet(ReadOnlySpan<char> document, out DocumentFacts facts)
    {
        var found = _bySpan.TryGetValue(document, out facts);
        _metrics?.GraphQLDocumentCacheLookup(found);
        return found;
    }

    internal void Add(string document, DocumentFacts facts)
    {
        if (document.Length > _maxLength || _capacity == 0)
        {
            return;
        }

        if (Volatile.Read(ref _count) >= _capacity)
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
