using System.Globalization;
using System.Text;
using System.Text.Json;

namespace ClaudeActors.FakeCli;

/// <summary>One conversation message: what the transcript stores and what the reply rules read.</summary>
internal sealed record HistoryEntry(
    string Type,
    string MessageJson,
    string Uuid,
    string? ParentUuid,
    string Timestamp,
    string Text);

/// <summary>
/// The conversation this process holds and its transcript file
/// ($CLAUDE_CONFIG_DIR/projects/&lt;sanitized cwd&gt;/&lt;session id&gt;.jsonl).
/// </summary>
internal sealed class Transcript
{
    private readonly object gate = new();
    private readonly string projectDir;
    private readonly bool persist;
    private readonly string cwd;
    private List<HistoryEntry>? forkCopy;
    private string? lastUuid;

    public Transcript(string cwd, bool persist)
    {
        this.cwd = cwd;
        this.persist = persist;
        var configDir = Environment.GetEnvironmentVariable("CLAUDE_CONFIG_DIR");
        if (string.IsNullOrEmpty(configDir))
        {
            var home = Environment.GetEnvironmentVariable("HOME");
            if (string.IsNullOrEmpty(home))
            {
                home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            }

            configDir = Path.Combine(home, ".claude");
        }

        projectDir = Path.Combine(configDir, "projects", Sanitize(cwd));
    }

    public string SessionId { get; private set; } = Guid.NewGuid().ToString();

    public List<HistoryEntry> History { get; } = [];

    public static string Sanitize(string path)
    {
        var chars = path.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (!char.IsAsciiLetterOrDigit(chars[i]))
            {
                chars[i] = '-';
            }
        }

        return new string(chars);
    }

    public static string Now() =>
        DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    public void UseSessionId(string id) => SessionId = id;

    /// <summary>Loads the conversation <paramref name="id"/>; false when there is no such transcript.</summary>
    public bool TryResume(string id, bool fork, string? forkId)
    {
        if (id.Length == 0 || id.Contains('/') || id.Contains('\\') || id.Contains(".."))
        {
            return false;
        }

        var file = Path.Combine(projectDir, id + ".jsonl");
        if (!File.Exists(file))
        {
            return false;
        }

        Load(file);
        if (fork)
        {
            SessionId = forkId ?? Guid.NewGuid().ToString();
            forkCopy = [.. History];
        }
        else
        {
            SessionId = id;
        }

        return true;
    }

    /// <summary>--continue: the most recently written conversation of this working directory, if any.</summary>
    public bool TryContinue(bool fork, string? forkId)
    {
        if (!Directory.Exists(projectDir))
        {
            return false;
        }

        FileInfo? newest = null;
        foreach (var f in new DirectoryInfo(projectDir).EnumerateFiles("*.jsonl"))
        {
            if (newest is null || f.LastWriteTimeUtc > newest.LastWriteTimeUtc)
            {
                newest = f;
            }
        }

        return newest is not null && TryResume(Path.GetFileNameWithoutExtension(newest.Name), fork, forkId);
    }

    private void Load(string file)
    {
        foreach (var line in File.ReadLines(file))
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            try
            {
                using var doc = JsonDocument.Parse(line);
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object ||
                    !root.TryGetProperty("type", out var t) || t.ValueKind != JsonValueKind.String)
                {
                    continue;
                }

                var type = t.GetString();
                if (type is not ("user" or "assistant"))
                {
                    continue;
                }

                if (root.TryGetProperty("isSidechain", out var side) && side.ValueKind == JsonValueKind.True)
                {
                    continue;
                }

                if (!root.TryGetProperty("message", out var message) || message.ValueKind != JsonValueKind.Object)
                {
                    continue;
                }

                var uuid = Str(root, "uuid") ?? Guid.NewGuid().ToString();
                var text = Directives.Strip(TextOf(message));
                History.Add(new HistoryEntry(
                    type, message.GetRawText(), uuid, Str(root, "parentUuid"), Str(root, "timestamp") ?? Now(), text));
                lastUuid = uuid;
            }
            catch (JsonException)
            {
                // A torn last line (crash mid-write) or bookkeeping we cannot read: skip it.
            }
        }
    }

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>The text of a message's content: a string, or the text blocks joined with '\n'.</summary>
    public static string TextOf(JsonElement message)
    {
        if (!message.TryGetProperty("content", out var content))
        {
            return "";
        }

        if (content.ValueKind == JsonValueKind.String)
        {
            return content.GetString() ?? "";
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            return "";
        }

        var sb = new StringBuilder();
        foreach (var block in content.EnumerateArray())
        {
            if (block.ValueKind == JsonValueKind.Object &&
                block.TryGetProperty("type", out var bt) && bt.ValueEquals("text") &&
                block.TryGetProperty("text", out var tx) && tx.ValueKind == JsonValueKind.String)
            {
                if (sb.Length > 0)
                {
                    sb.Append('\n');
                }

                sb.Append(tx.GetString());
            }
        }

        return sb.ToString();
    }

    /// <summary>Adds a message to the conversation and appends it to the transcript file.</summary>
    public HistoryEntry Add(string type, string messageJson, string text, string? uuid = null)
    {
        lock (gate)
        {
            var entry = new HistoryEntry(type, messageJson, uuid ?? Guid.NewGuid().ToString(), lastUuid, Now(), text);
            History.Add(entry);
            lastUuid = entry.Uuid;
            if (persist)
            {
                var sb = new StringBuilder();
                if (forkCopy is not null)
                {
                    foreach (var old in forkCopy)
                    {
                        sb.Append(Line(old)).Append('\n');
                    }

                    forkCopy = null;
                }

                sb.Append(Line(entry)).Append('\n');
                if (type == "assistant")
                {
                    var leaf = entry.Uuid;
                    sb.Append(Output.Build(w =>
                    {
                        w.WriteString("type", "last-prompt");
                        w.WriteString("leafUuid", leaf);
                        w.WriteString("sessionId", SessionId);
                    })).Append('\n');
                }

                AppendLocked(sb.ToString());
            }

            return entry;
        }
    }

    /// <summary>
    /// With <c>--session-mirror</c>: told the file and the lines (no newlines) of each append, after it was written,
    /// as the real CLI's <c>transcript_mirror</c> frames.
    /// </summary>
    public Action<string, IReadOnlyList<string>>? Mirror { get; set; }

    /// <summary>Appends a bookkeeping line (a type the conversation skips), e.g. the cost-state the real CLI writes after a result.</summary>
    public void AppendBookkeeping(string line)
    {
        if (!persist)
        {
            return;
        }

        lock (gate)
        {
            AppendLocked(line + "\n");
        }
    }

    private void AppendLocked(string text)
    {
        var file = Path.Combine(projectDir, SessionId + ".jsonl");
        try
        {
            Directory.CreateDirectory(projectDir);
            File.AppendAllText(file, text);
        }
        catch (IOException)
        {
            return;
        }
        catch (UnauthorizedAccessException)
        {
            return;
        }

        Mirror?.Invoke(file, text.TrimEnd('\n').Split('\n'));
    }

    private string Line(HistoryEntry e) => Output.Build(w =>
    {
        if (e.ParentUuid is null)
        {
            w.WriteNull("parentUuid");
        }
        else
        {
            w.WriteString("parentUuid", e.ParentUuid);
        }

        w.WriteBoolean("isSidechain", false);
        w.WriteString("userType", "external");
        w.WriteString("cwd", cwd);
        w.WriteString("sessionId", SessionId);
        w.WriteString("version", Program.Version);
        w.WriteString("type", e.Type);
        w.WritePropertyName("message");
        w.WriteRawValue(e.MessageJson, skipInputValidation: true);
        w.WriteString("uuid", e.Uuid);
        w.WriteString("timestamp", e.Timestamp);
    });
}
