using Microsoft.Win32.SafeHandles;

namespace ClaudeActors.FakeCli;

/// <summary>
/// Reads '\n'-terminated lines as UTF-8 bytes straight from fd 0 (no System.Console, no UTF-16 decoding).
/// A returned line is valid until the next call.
/// </summary>
internal sealed class LineReader
{
    private readonly Stream input = new FileStream(new SafeFileHandle(0, ownsHandle: false), FileAccess.Read, bufferSize: 0);
    private byte[] buffer = new byte[64 * 1024];
    private int start;
    private int end;
    private bool eof;

    public bool TryReadLine(out ReadOnlyMemory<byte> line)
    {
        var scanned = 0;
        while (true)
        {
            var nl = buffer.AsSpan(start + scanned, end - start - scanned).IndexOf((byte)'\n');
            if (nl >= 0)
            {
                var len = scanned + nl;
                line = Trim(buffer.AsMemory(start, len));
                start += len + 1;
                return true;
            }

            scanned = end - start;
            if (eof)
            {
                if (scanned > 0)
                {
                    line = Trim(buffer.AsMemory(start, scanned));
                    start = end;
                    return true;
                }

                line = default;
                return false;
            }

            // Make room: compact, then grow if the pending line fills the buffer.
            if (start > 0)
            {
                Buffer.BlockCopy(buffer, start, buffer, 0, scanned);
                start = 0;
                end = scanned;
            }

            if (end == buffer.Length)
            {
                Array.Resize(ref buffer, buffer.Length * 2);
            }

            int n;
            try
            {
                n = input.Read(buffer, end, buffer.Length - end);
            }
            catch (IOException)
            {
                n = 0;
            }

            if (n <= 0)
            {
                eof = true;
            }
            else
            {
                end += n;
            }

            if (start == end && buffer.Length > 1 << 20)
            {
                buffer = new byte[64 * 1024]; // do not keep a huge prompt's buffer
                start = end = 0;
            }
        }
    }

    private static ReadOnlyMemory<byte> Trim(ReadOnlyMemory<byte> line) =>
        line.Length > 0 && line.Span[^1] == (byte)'\r' ? line[..^1] : line;
}
