using System.Collections.Concurrent;

namespace Gateway.GraphQL;

/// <summary>
/// Remembers the documents that parsed as executable and whether each holds a mutation, so a document sent again
/// is not parsed again. Clients send a few fixed documents with changing variables, and parsing is most of what a
/// GraphQL request costs the gateway (bench/profile.sh: 11 % of its CPU for a 1 KiB query).
/// </summary>
/// <remarks>
/// The verdict is a pure function of the document's text and the key is that exact text, so a hit answers what
/// parsing would. Only accepted documents are kept (refusals are not a hot path, and keeping them would let junk
/// crowd out real documents), at most <see cref="MaxEntries"/> of at most <see cref="MaxDocumentLength"/>
/// characters: 8 MiB at worst. When full it starts over, so endless distinct documents cost what they cost
/// without the cache, never more memory.
/// </remarks>
internal static class DocumentVerdictCache
{
    public const int MaxEntries = 1024;
    public const int MaxDocumentLength = 4 * 1024;

    // The default comparer for string keys hashes without randomization until it sees many collisions, then
    // switches to randomized hashing, so crafted collisions cannot slow it down for long.
    private static readonly ConcurrentDictionary<string, bool> s_hasMutation = new();
    private static int s_count;

    public static bool TryGet(string document, out bool hasMutation)
    {
        hasMutation = false;
        return document.Length <= MaxDocumentLength && s_hasMutation.TryGetValue(document, out hasMutation);
    }

    public static void Add(string document, bool hasMutation)
    {
        if (document.Length > MaxDocumentLength)
        {
            return;
        }

        // ConcurrentDictionary.Count takes every lock; an approximate count is enough for a bound.
        if (Volatile.Read(ref s_count) >= MaxEntries)
        {
            s_hasMutation.Clear();
            Volatile.Write(ref s_count, 0);
        }

        if (s_hasMutation.TryAdd(document, hasMutation))
        {
            Interlocked.Increment(ref s_count);
        }
    }
}
