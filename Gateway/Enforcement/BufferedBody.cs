using System.Buffers;

namespace Gateway.Enforcement;

/// <summary>
/// A request body held in a chain of pooled segments that grow with the bytes received (4 KiB, then doubling up to
/// 32 KiB each), so a body holds about what arrived, never what it declared. Every segment is reserved against the
/// <see cref="GraphQLBodyBudget"/> before it is rented; <see cref="Dispose"/> returns them and the reservation.
/// </summary>
internal sealed class BufferedBody(GraphQLBodyBudget budget) : IDisposable
{
    private const int FirstSegmentBytes = 4 * 1024;
    private const int LargestSegmentBytes = 32 * 1024;

    private Segment? _first;
    private Segment? _last;
    private long _reserved;

    public long Length { get; private set; }

    public ReadOnlySequence<byte> Sequence => _first is null
        ? ReadOnlySequence<byte>.Empty
        : new ReadOnlySequence<byte>(_first, 0, _last!, _last!.Memory.Length);

    /// <summary>
    /// Room for the next read, at most <paramref name="wanted"/> bytes; empty when the budget has no room for
    /// another segment.
    /// </summary>
    public Memory<byte> GetSpace(long wanted)
    {
        if (_last is { } last && last.Written < last.Array.Length)
        {
            return last.Array.AsMemory(last.Written, (int)Math.Min(last.Array.Length - last.Written, wanted));
        }

        var size = (int)Math.Min(Math.Clamp(Length, FirstSegmentBytes, LargestSegmentBytes), Math.Max(wanted, 1));
        // Reserved at the size the pool hands out (rounded up to a power of two), since that is what is held.
        var rounded = (int)Math.Max(16, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)size));
        if (!budget.TryReserve(rounded))
        {
            return Memory<byte>.Empty;
        }

        _reserved += rounded;
        var segment = new Segment(ArrayPool<byte>.Shared.Rent(rounded), Length);
        if (_last is null)
        {
            _first = segment;
        }
        else
        {
            _last.SetNext(segment);
        }

        _last = segment;
        return segment.Array.AsMemory(0, (int)Math.Min(segment.Array.Length, wanted));
    }

    public void Advance(int count)
    {
        _last!.Advance(count);
        Length += count;
    }

    /// <summary>The body as one span when it fits one segment (no copy), else <c>false</c>.</summary>
    public bool TryGetSingleSpan(out ReadOnlySpan<byte> span)
    {
        if (_first is null || _first == _last)
        {
            span = _first is null ? [] : _first.Memory.Span;
            return true;
        }

        span = default;
        return false;
    }

    /// <summary>A stream over the held bytes, for the proxy to forward exactly what was judged.</summary>
    public Stream AsStream() => new ReadStream(this);

    public void Dispose()
    {
        for (var segment = _first; segment is not null; segment = (Segment?)segment.Next)
        {
            ArrayPool<byte>.Shared.Return(segment.Array);
        }

        _first = _last = null;
        budget.Release(_reserved);
        _reserved = 0;
    }

    // Reads the segments in order, synchronously (the bytes are in memory): one small object per request, where a
    // PipeReader over the sequence and a stream over that reader were two.
    private sealed class ReadStream(BufferedBody body) : Stream
    {
        private Segment? _segment = body._first;
        private int _offset;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => body.Length;

        public override long Position
        {
            get => (_segment?.RunningIndex ?? body.Length) + _offset;
            set => throw new NotSupportedException();
        }

        public override int Read(Span<byte> buffer)
        {
            while (_segment is { } segment && _offset >= segment.Written)
            {
                _segment = (Segment?)segment.Next;
                _offset = 0;
            }

            if (_segment is null || buffer.IsEmpty)
            {
                return 0;
            }

            int count = Math.Min(buffer.Length, _segment.Written - _offset);
            _segment.Array.AsSpan(_offset, count).CopyTo(buffer);
            _offset += count;
            return count;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            cancellationToken.IsCancellationRequested
                ? ValueTask.FromCanceled<int>(cancellationToken)
                : ValueTask.FromResult(Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] array, long runningIndex)
        {
            Array = array;
            RunningIndex = runningIndex;
            Memory = array.AsMemory(0, 0);
        }

        public byte[] Array { get; }

        public int Written { get; private set; }

        public void Advance(int count)
        {
            Written += count;
            Memory = Array.AsMemory(0, Written);
        }

        public void SetNext(Segment next) => Next = next;
    }
}
