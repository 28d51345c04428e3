using System.Text;

namespace ClaudeActors.Process;

/// <summary>
/// Drains the CLI's stderr continuously (a full 64 KB pipe would block the CLI) and keeps a bounded tail of it
/// for error reports. Over-long lines are cut; the tail never holds more than <c>maxLines</c> lines.
/// </summary>
internal sealed class StderrTail(Func<string, string> redact, int maxLines = 40, int maxLineChars = 2000)
{
    private readonly Queue<string> _lines = new();
    private readonly object _gate = new();

    public long TotalChars { get; private set; }

    public async Task DrainAsync(TextReader reader, Action<string>? onLine, CancellationToken ct)
    {
        var buffer = new char[4096];
        var line = new StringBuilder();
        var dropped = false;
        try
        {
            int read;
            while ((read = await reader.ReadAsync(buffer.AsMemory(), ct).ConfigureAwait(false)) > 0)
            {
                for (var i = 0; i < read; i++)
                {
                    var c = buffer[i];
                    if (c == '\n')
                    {
                        Commit(line, dropped, onLine);
                        line.Clear();
                        dropped = false;
                    }
                    // Keep a margin past the cut so a secret straddling it is still whole when redacted.
                    else if (line.Length < maxLineChars + RedactionMargin) line.Append(c);
                    else dropped = true;
                }
                lock (_gate) TotalChars += read;
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The process is gone; what was read is kept.
        }
        if (line.Length > 0) Commit(line, dropped, onLine);
    }

    private const int RedactionMargin = 512;

    private void Commit(StringBuilder line, bool truncated, Action<string>? onLine)
    {
        var text = redact(line.ToString().TrimEnd('\r'));
        if (text.Length > maxLineChars)
        {
            text = text[..maxLineChars];
            truncated = true;
        }
        if (truncated) text += " …[truncated]";
        lock (_gate)
        {
            _lines.Enqueue(text);
            while (_lines.Count > maxLines) _lines.Dequeue();
        }
        onLine?.Invoke(text);
    }

    public string Snapshot()
    {
        lock (_gate) return string.Join("\n", _lines);
    }
}
