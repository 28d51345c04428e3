using System.Text;
using System.Text.Json;

namespace ClaudeActors.Protocol;

/// <summary>
/// A <c>transcript_mirror</c> line, written by a CLI started with <c>--session-mirror</c> each time it appends to a
/// transcript: the file and the entries it appended. Each entry is kept as the JSON text the CLI wrote (the same
/// bytes as the file's line without its newline), so journaling them and writing them back reproduces the file.
/// Internal: the session hands it to its parent, never to a caller.
/// </summary>
internal sealed record TranscriptMirrorMessage : ClaudeMessage
{
    /// <inheritdoc />
    public override string Type => "transcript_mirror";

    /// <summary>The transcript file the entries were appended to (the main conversation's, or a subagent's).</summary>
    public string FilePath { get; init; } = "";

    /// <summary>The appended entries, one JSON object each, byte for byte as in the frame.</summary>
    public IReadOnlyList<string> Entries { get; init; } = [];

    /// <summary>The entries as transcript text: one line each, each ending in a newline.</summary>
    public string ToTranscriptText()
    {
        var text = new StringBuilder();
        foreach (var entry in Entries) text.Append(entry).Append('\n');
        return text.ToString();
    }

    private static ReadOnlySpan<byte> FilePathName => "filePath"u8;
    private static ReadOnlySpan<byte> EntriesName => "entries"u8;

    /// <summary>Reads a frame; the reader is on its StartObject. Entries are sliced from the line, not re-serialized.</summary>
    internal static TranscriptMirrorMessage Read(ReadOnlySpan<byte> line, Utf8JsonReader reader)
    {
        var path = "";
        var entries = new List<string>();
        var depth = reader.CurrentDepth;
        while (reader.Read() && !(reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == depth))
        {
            if (reader.TokenType != JsonTokenType.PropertyName) continue;
            if (reader.ValueTextEquals(FilePathName))
            {
                reader.Read();
                path = reader.TokenType == JsonTokenType.String ? reader.GetString()! : throw new JsonException("filePath is not a string");
            }
            else if (reader.ValueTextEquals(EntriesName))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartArray) throw new JsonException("entries is not an array");
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    var start = (int)reader.TokenStartIndex;
                    reader.Skip();
                    entries.Add(Encoding.UTF8.GetString(line[start..(int)reader.BytesConsumed]));
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        return new TranscriptMirrorMessage { FilePath = path, Entries = entries };
    }
}
