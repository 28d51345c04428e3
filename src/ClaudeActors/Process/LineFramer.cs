namespace ClaudeActors.Process;

/// <summary>One framed stdout line, or the size of a line that was too long and was dropped while it arrived.</summary>
internal readonly record struct FramedLine(byte[]? Bytes, long OversizedLength)
{
    public bool IsOversized => Bytes is null;
}

/// <summary>
/// Splits a byte stream into <c>\n</c>-terminated lines. A line over the limit does not end the stream: its bytes are
/// discarded as they arrive (memory stays bounded) and one <see cref="FramedLine"/> with
/// <see cref="FramedLine.IsOversized"/> reports it, so later lines still come. A last line without a terminator is
/// given at end of stream (the CLI may die mid-line). Empty lines are skipped. Not thread-safe: one reader feeds it.
/// </summary>
internal sealed class LineFramer(int maxLineBytes)
{
    private const int InitialBuffer = 4096;
    private const int KeptBuffer = 65536;
    private byte[] _buffer = new byte[InitialBuffer];
    private int _length;
    private long _discarding = -1; // >= 0 while dropping an oversized line: bytes dropped so far

    /// <summary>Adds a chunk and appends every line it completes to <paramref name="lines"/>, in order.</summary>
    public void Append(ReadOnlySpan<byte> data, List<FramedLine> lines)
    {
        while (!data.IsEmpty)
        {
            var newline = data.IndexOf((byte)'\n');
            var part = newline < 0 ? data : data[..newline];
            if (_discarding >= 0) _discarding += part.Length;
            else if (_length + part.Length > maxLineBytes)
            {
                _discarding = _length + part.Length;
                _length = 0;
                ShrinkBuffer();
            }
            else
            {
                EnsureCapacity(_length + part.Length);
                part.CopyTo(_buffer.AsSpan(_length));
                _length += part.Length;
            }
            if (newline < 0) return;
            TakeLine(lines);
            ShrinkBuffer(); // give back the room a big line took
            data = data[(newline + 1)..];
        }
    }

    /// <summary>End of stream: the unterminated last line (or the report of a dropped one), if any.</summary>
    public void Complete(List<FramedLine> lines) => TakeLine(lines);

    private void TakeLine(List<FramedLine> lines)
    {
        if (_discarding >= 0) lines.Add(new FramedLine(null, _discarding));
        else if (_length > 0) lines.Add(new FramedLine(_buffer.AsSpan(0, _length).ToArray(), 0));
        _length = 0;
        _discarding = -1;
    }

    private void ShrinkBuffer()
    {
        if (_buffer.Length > KeptBuffer) _buffer = new byte[InitialBuffer];
    }

    private void EnsureCapacity(int needed)
    {
        if (needed <= _buffer.Length) return;
        var size = _buffer.Length;
        while (size < needed) size *= 2;
        Array.Resize(ref _buffer, Math.Min(size, Math.Max(needed, maxLineBytes)));
    }
}
