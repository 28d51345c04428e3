using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace ClaudeActors.FakeCli;

/// <summary>stdout/stderr writing: one JSON object per line, UTF-8, '\n', one write syscall per line.</summary>
internal static class Output
{
    private static readonly object Gate = new();
    // A FileStream on fd 1 (not Console's stream, which silently drops writes on EPIPE): when the host
    // closes our stdout the next write fails and the process exits, like a CLI killed by a broken pipe.
    private static readonly Stream Stdout = new FileStream(
        new Microsoft.Win32.SafeHandles.SafeFileHandle(1, ownsHandle: false), FileAccess.Write, bufferSize: 0);
    private static readonly Stream Stderr = new FileStream(
        new Microsoft.Win32.SafeHandles.SafeFileHandle(2, ownsHandle: false), FileAccess.Write, bufferSize: 0);
    private static readonly JsonWriterOptions Options = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    private static ArrayBufferWriter<byte> buffer = new(4096);
    private static Utf8JsonWriter? writer;

    /// <summary>Writes one JSON object (the body writes its properties) as one stdout line.</summary>
    public static void Emit(Action<Utf8JsonWriter> body)
    {
        lock (Gate)
        {
            buffer.ResetWrittenCount();
            var w = writer ??= new Utf8JsonWriter(buffer, Options);
            w.Reset(buffer);
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
            w.Flush();
            WriteLineLocked();
        }
    }

    /// <summary>Writes a raw (possibly non-JSON) line to stdout.</summary>
    public static void RawLine(string text)
    {
        lock (Gate)
        {
            buffer.ResetWrittenCount();
            var span = buffer.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length));
            buffer.Advance(Encoding.UTF8.GetBytes(text, span));
            WriteLineLocked();
        }
    }

    private static void WriteLineLocked()
    {
        buffer.GetSpan(1)[0] = (byte)'\n';
        buffer.Advance(1);
        try
        {
            Stdout.Write(buffer.WrittenSpan);
            Stdout.Flush();
        }
        catch (IOException)
        {
            // The reader went away (EPIPE): behave like a CLI killed by a broken pipe.
            Environment.Exit(1);
        }

        if (buffer.Capacity > 1 << 20)
        {
            // Do not keep a [bigline] buffer alive for the rest of the process.
            buffer = new ArrayBufferWriter<byte>(4096);
            writer = null;
        }
    }

    /// <summary>Serializes one JSON object to a string (for transcript lines).</summary>
    public static string Build(Action<Utf8JsonWriter> body)
    {
        var buf = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buf, Options))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buf.WrittenSpan);
    }

    public static void ErrorLine(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text + "\n");
        try
        {
            Stderr.Write(bytes);
            Stderr.Flush();
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Writes exactly <paramref name="count"/> bytes of filler text to stderr, in 100-byte lines.</summary>
    public static void StderrFiller(long count)
    {
        var line = Encoding.ASCII.GetBytes(
            "fake-claude stderr filler: the quick brown fox jumps over the lazy dog 0123456789 abcdefghijklmno\n");
        try
        {
            while (count > 0)
            {
                var n = (int)Math.Min(count, line.Length);
                if (n < line.Length)
                {
                    var tail = new byte[n];
                    Array.Copy(line, tail, n);
                    if (n > 0)
                    {
                        tail[n - 1] = (byte)'\n';
                    }

                    Stderr.Write(tail);
                }
                else
                {
                    Stderr.Write(line);
                }

                count -= n;
            }

            Stderr.Flush();
        }
        catch (IOException)
        {
        }
    }
}
