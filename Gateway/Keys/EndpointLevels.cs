using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace Gateway.Keys;

/// <summary>
/// A key's endpoint map (README "Levels needed") in the form L1 holds for every cached key: one array of (id, level) sorted
/// ordinally, and the <c>*</c> level in a field. A <c>FrozenDictionary</c> per key measured as the largest
/// part of a cached key; a key names a handful of endpoints, where a scan of a small array is as fast as hashing.
/// The common shapes (nothing, <c>{"*": level}</c>) are shared instances. Immutable.
/// </summary>
[SuppressMessage("Naming", "CA1710", Justification = "Named for what it holds, like KeyScopes.Endpoints; 'Dictionary' would name its interface, not its role.")]
public sealed class EndpointLevels : IReadOnlyDictionary<string, AccessLevel>
{
    // Past this many ids a lookup halves the array instead of scanning it (nothing bounds how many ids a key may name).
    private const int ScanLimit = 8;
    private const byte NoFallback = byte.MaxValue;

    private static readonly EndpointLevels[] AnyOnly =
    [
        new([new(KeyScopes.AnyEndpoint, AccessLevel.None)]),
        new([new(KeyScopes.AnyEndpoint, AccessLevel.Read)]),
        new([new(KeyScopes.AnyEndpoint, AccessLevel.ReadWrite)]),
    ];

    private readonly Entry[] _entries;
    private readonly byte _any;

    private EndpointLevels(Entry[] entries)
    {
        _entries = entries;
        _any = NoFallback;
        foreach (var entry in entries)
        {
            if (entry.Id == KeyScopes.AnyEndpoint)
            {
                _any = (byte)entry.Level;
            }
        }
    }

    public static EndpointLevels Empty { get; } = new([]);

    /// <summary>The shared <c>{"*": level}</c>.</summary>
    public static EndpointLevels Any(AccessLevel level) =>
        level.IsDefined() ? AnyOnly[(int)level] : throw new ArgumentOutOfRangeException(nameof(level), level, "Not a defined access level.");

    /// <summary>An ordinal copy of <paramref name="endpoints"/>; later changes to it do not show.</summary>
    public static EndpointLevels From(IEnumerable<KeyValuePair<string, AccessLevel>> endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        if (endpoints is EndpointLevels levels)
        {
            return levels;
        }

        var entries = new List<Entry>();
        foreach (var (id, level) in endpoints)
        {
            ArgumentNullException.ThrowIfNull(id, nameof(endpoints));
            if (!level.IsDefined())
            {
                throw new ArgumentOutOfRangeException(nameof(endpoints), level, "An endpoint has an undefined access level.");
            }

            entries.Add(new(id, level));
        }

        return Create(entries);
    }

    /// <summary>Builds from entries in any order; a later entry for the same id replaces an earlier one.</summary>
    internal static EndpointLevels Create(List<Entry> entries)
    {
        if (entries.Count == 0)
        {
            return Empty;
        }

        if (entries.Count == 1 && entries[0].Id == KeyScopes.AnyEndpoint)
        {
            return AnyOnly[(int)entries[0].Level];
        }

        // Stable by id, so the last of equal ids is the one kept below.
        var sorted = entries.Select((entry, index) => (entry, index))
            .OrderBy(e => e.entry.Id, StringComparer.Ordinal).ThenBy(e => e.index).Select(e => e.entry).ToList();
        var distinct = new List<Entry>(sorted.Count);
        foreach (var entry in sorted)
        {
            if (distinct.Count > 0 && distinct[^1].Id == entry.Id)
            {
                distinct[^1] = entry;
            }
            else
            {
                distinct.Add(entry);
            }
        }

        return distinct.Count == 1 && distinct[0].Id == KeyScopes.AnyEndpoint ? AnyOnly[(int)distinct[0].Level] : new([.. distinct]);
    }

    public int Count => _entries.Length;

    /// <summary>The <c>*</c> level, or <c>null</c> when the map has no <c>*</c>.</summary>
    public AccessLevel? Fallback => _any == NoFallback ? null : (AccessLevel)_any;

    public IEnumerable<string> Keys => _entries.Select(e => e.Id);

    public IEnumerable<AccessLevel> Values => _entries.Select(e => e.Level);

    public AccessLevel this[string key] => TryGetValue(key, out var level) ? level : throw new KeyNotFoundException();

    public bool ContainsKey(string key) => TryGetValue(key, out _);

    /// <summary><c>this[id]</c> if present, else the <c>*</c> level, else none. Allocates nothing.</summary>
    public AccessLevel ForEndpoint(string endpointId) =>
        TryGetValue(endpointId, out var level) ? level : _any == NoFallback ? AccessLevel.None : (AccessLevel)_any;

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out AccessLevel value)
    {
        ArgumentNullException.ThrowIfNull(key);
        var entries = _entries;
        if (entries.Length <= ScanLimit)
        {
            foreach (var entry in entries)
            {
                if (string.Equals(entry.Id, key, StringComparison.Ordinal))
                {
                    value = entry.Level;
                    return true;
                }
            }
        }
        else
        {
            int low = 0, high = entries.Length - 1;
            while (low <= high)
            {
                var middle = low + ((high - low) >> 1);
                var order = string.CompareOrdinal(entries[middle].Id, key);
                if (order == 0)
                {
                    value = entries[middle].Level;
                    return true;
                }

                if (order < 0)
                {
                    low = middle + 1;
                }
                else
                {
                    high = middle - 1;
                }
            }
        }

        value = AccessLevel.None;
        return false;
    }

    public IEnumerator<KeyValuePair<string, AccessLevel>> GetEnumerator() =>
        _entries.Select(e => new KeyValuePair<string, AccessLevel>(e.Id, e.Level)).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    internal readonly record struct Entry(string Id, AccessLevel Level);
}
