using System.IO.Pipelines;

namespace Gateway.WebSockets;

/// <summary>
/// One end of an in-memory duplex connection: what it writes the other end reads. YARP gets one end in place of
/// the client's upgraded stream, the relay the other. Each direction is a <see cref="Pipe"/> that pauses its writer
/// past <see cref="PauseBytes"/>, so neither side can run ahead of the other by more than that (backpressure).
/// </summary>
internal sealed class DuplexPipeStream : Stream
{
    internal const int PauseBytes = 64 * 1024;

    private readonly Stream _reader;
    private readonly Stream _writer;
    private readonly PipeReader _pipeReader;
    private readonly PipeWriter _pipeWriter;

    private DuplexPipeStream(PipeReader reader, PipeWriter writer)
    {
        _pipeReader = reader;
        _pipeWriter = writer;
        _reader = reader.AsStream();
        _writer = writer.AsStream();
    }

    public static (DuplexPipeStream A, DuplexPipeStream B) CreatePair()
    {
        var options = new PipeOptions(pauseWriterThreshold: PauseBytes, resumeWriterThreshold: PauseBytes / 2, useSynchronizationContext: false);
        var aToB = new Pipe(options);
        var bToA = new Pipe(options);
        return (new DuplexPipeStream(bToA.Reader, aToB.Writer), new DuplexPipeStream(aToB.Reader, bToA.Writer));
    }

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => _reader.Read(buffer, offset, count);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        _reader.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        _reader.ReadAsync(buffer, offset, count, cancellationToken);

    public override void Write(byte[] buffer, int offset, int count) => _writer.Write(buffer, offset, count);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        _writer.WriteAsync(buffer, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        _writer.WriteAsync(buffer, offset, count, cancellationToken);

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => _writer.FlushAsync(cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            // Completing the writer lets the other end read what was written, then end of stream; completing the
            // reader makes the other end's next write fail, so neither side waits on a party that is gone.
            _pipeWriter.Complete();
            _pipeReader.Complete();
        }

        base.Dispose(disposing);
    }
}
