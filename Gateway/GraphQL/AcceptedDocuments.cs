using System.Collections.Concurrent;

namespace Gateway.GraphQL;

/// <summary>
/// Documents the classifier has accepted, by their exact text, with whether they hold a mutation. Parsing is most of
/// the cost of a GraphQL request (about 8 µs and 10 KB for a 1 KB query, bench/HotPath) and clients send the same few
/// documents again and again; the verdict is a pure function of the text, so a document seen before gets the very
/// same answer without a parse. Refused documents are not kept: they are re-judged every time, as before.
/// </summary>
internal sealed class AcceptedDocuments(int capacity, int maxLength)
{
    // Ordinal and exact: two documents share an entry only when every character is the same.
    private readonly ConcurrentDictionary<string, bool> _hasMutation = new(StringComparer.Ordinal);
    private int _count;

    /// <summary>About how many documents are held; never much above the capacity.</summary>
    public int Count => Volatile.Read(ref _count);

    public bool TryGet(string document, out bool hasMutation) => _hasMutation.TryGetValue(document, out hasMutation);

    public void Add(string document, bool hasMutation)
    {
        if (document.Length > maxLength)
        {
            return;
        }

        if (Volatile.Read(ref _count) >= capacity)
        {
            // Emptied at once rather than evicted one by one: memory stays bounded (capacity × maxLength characters,
            // give or take the adds that race this), and a client sending ever-new documents costs only the parse
            // it always cost. Concurrent adds may leave the count a little low, never unbounded.
            _hasMutation.Clear();
            Volatile.Write(ref _count, 0);
        }

        if (_hasMutation.TryAdd(document, hasMutation))
        {
            Interlocked.Increment(ref _count);
        }
    }
}
