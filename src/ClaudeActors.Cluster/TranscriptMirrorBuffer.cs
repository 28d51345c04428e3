using System.Text;
using ClaudeActors.Protocol;

namespace ClaudeActors.Cluster;

/// <summary>
/// The transcript entries a session's CLI mirrored on stdout (<c>--session-mirror</c>) that are not journaled yet,
/// for one conversation at a time. The entity flushes it into one journal event when a turn ends (before the answer
/// goes out), when it grows past a bound (as the Python SDK's store batches: 500 entries or 1 MiB), or a moment
/// after entries that came after a turn's end (the CLI's <c>cost-state</c>).
/// </summary>
internal sealed class TranscriptMirrorBuffer
{
    public const int MaxEntries = 500;
    public const int MaxBytes = 1 << 20;

    private readonly StringBuilder _text = new();
    private int _entries;
    private int _bytes;

    /// <summary>The conversation the buffered entries belong to (the transcript file's name), or null when empty.</summary>
    public string? SessionId { get; private set; }

    public bool IsEmpty => _entries == 0;

    public bool IsFull => _entries >= MaxEntries || _bytes >= MaxBytes;

    /// <summary>The session id a frame's entries belong to, or null when they are not a main transcript's (a subagent's file).</summary>
    public static string? SessionIdOf(TranscriptMirrorMessage frame) =>
        frame.FilePath.EndsWith(".jsonl", StringComparison.Ordinal) && Path.GetFileNameWithoutExtension(frame.FilePath) is { } id && SessionIds.IsValid(id)
            ? id
            : null;

    /// <summary>Adds a frame's entries; the caller flushes first when <paramref name="sessionId"/> is not <see cref="SessionId"/>.</summary>
    public void Add(string sessionId, TranscriptMirrorMessage frame)
    {
        SessionId = sessionId;
        foreach (var entry in frame.Entries)
        {
            _text.Append(entry).Append('\n');
            _entries++;
            _bytes += Encoding.UTF8.GetByteCount(entry) + 1;
        }
    }

    /// <summary>The buffered entries as transcript text (one line each), and the buffer emptied.</summary>
    public (string SessionId, string Text) Take()
    {
        var taken = (SessionId!, _text.ToString());
        Clear();
        return taken;
    }

    public void Clear()
    {
        _text.Clear();
        _entries = 0;
        _bytes = 0;
        SessionId = null;
    }
}
