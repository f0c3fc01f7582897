using System.Buffers;
using System.Text.Json;

namespace Gateway.GraphQL;

/// <summary>
/// The member names of the JSON objects currently open, kept unescaped in one pooled buffer, so a
/// repeated name is found at any depth without a string per name. Objects nest like a stack: a
/// closed object's names are dropped and its space reused.
/// </summary>
internal struct JsonMemberNameSet : IDisposable
{
    // Below this many members a pairwise check is cheaper than sorting.
    private const int PairwiseLimit = 8;

    private byte[]? _bytes;
    private int _byteCount;
    private Entry[]? _entries;
    private int _entryCount;

    private readonly record struct Entry(int Offset, int Length, int Hash);

    /// <summary>Starts an object; pass the result to <see cref="EndObject"/>.</summary>
    public readonly int BeginObject() => _entryCount;

    /// <summary>Records the name of the reader's current PropertyName token.</summary>
    public void Add(ref Utf8JsonReader reader)
    {
        // The body is one contiguous span, so the value is never a sequence, and unescaping
        // never makes a name longer.
        int maxLength = reader.ValueSpan.Length;
        EnsureCapacity(maxLength);

        Span<byte> destination = _bytes.AsSpan(_byteCount, maxLength);
        int length;
        if (reader.ValueIsEscaped)
        {
            length = reader.CopyString(destination);
        }
        else
        {
            reader.ValueSpan.CopyTo(destination);
            length = maxLength;
        }

        // HashCode is seeded per process, so a client cannot craft names that all collide.
        var hash = new HashCode();
        hash.AddBytes(destination[..length]);
        _entries![_entryCount++] = new Entry(_byteCount, length, hash.ToHashCode());
        _byteCount += length;
    }

    /// <summary>Ends the object begun at <paramref name="mark"/>; false when it repeated a name.</summary>
    public bool EndObject(int mark)
    {
        if (_entryCount == mark)
        {
            return true;
        }

        // Read before AreUnique, which may reorder this object's entries.
        int firstOffset = _entries![mark].Offset;
        bool unique = AreUnique(_entries.AsSpan(mark, _entryCount - mark));
        _byteCount = firstOffset;
        _entryCount = mark;
        return unique;
    }

    public void Dispose()
    {
        if (_bytes is not null)
        {
            ArrayPool<byte>.Shared.Return(_bytes);
            _bytes = null;
        }

        if (_entries is not null)
        {
            ArrayPool<Entry>.Shared.Return(_entries);
            _entries = null;
        }

        _byteCount = 0;
        _entryCount = 0;
    }

    private readonly bool AreUnique(Span<Entry> members)
    {
        if (members.Length <= PairwiseLimit)
        {
            for (int i = 1; i < members.Length; i++)
            {
                for (int j = 0; j < i; j++)
                {
                    if (SameName(members[i], members[j]))
                    {
                        return false;
                    }
                }
            }

            return true;
        }

        // O(n log n), so an object with 100k members costs milliseconds, not a quadratic scan.
        members.Sort(static (a, b) => a.Hash.CompareTo(b.Hash));
        for (int start = 0; start < members.Length;)
        {
            int end = start + 1;
            while (end < members.Length && members[end].Hash == members[start].Hash)
            {
                end++;
            }

            for (int i = start + 1; i < end; i++)
            {
                for (int j = start; j < i; j++)
                {
                    if (SameName(members[i], members[j]))
                    {
                        return false;
                    }
                }
            }

            start = end;
        }

        return true;
    }

    private readonly bool SameName(Entry a, Entry b) =>
        a.Hash == b.Hash
        && _bytes.AsSpan(a.Offset, a.Length).SequenceEqual(_bytes.AsSpan(b.Offset, b.Length));

    private void EnsureCapacity(int nameLength)
    {
        if (_bytes is null || _byteCount + nameLength > _bytes.Length)
        {
            _bytes = Grow(_bytes, _byteCount, Math.Max(256, _byteCount + nameLength));
        }

        if (_entries is null || _entryCount == _entries.Length)
        {
            _entries = Grow(_entries, _entryCount, Math.Max(16, _entryCount + 1));
        }
    }

    private static T[] Grow<T>(T[]? old, int used, int needed)
    {
        T[] grown = ArrayPool<T>.Shared.Rent(Math.Max(needed, (old?.Length ?? 0) * 2));
        if (old is not null)
        {
            old.AsSpan(0, used).CopyTo(grown);
            ArrayPool<T>.Shared.Return(old);
        }

        return grown;
    }
}
