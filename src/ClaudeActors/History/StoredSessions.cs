using System.Text;
using System.Text.Json;

namespace ClaudeActors.History;

/// <summary>A project folder of the CLI's transcripts: one per working directory.</summary>
/// <param name="Name">The folder's name (the encoded working directory).</param>
/// <param name="WorkingDirectory">The working directory, as the newest transcript records it (null when none says).</param>
/// <param name="SessionCount">How many conversations it holds.</param>
/// <param name="LastModified">When its newest transcript was last written.</param>
public sealed record StoredProject(string Name, string? WorkingDirectory, int SessionCount, DateTimeOffset LastModified);

/// <summary>A stored conversation, described from the head of its transcript (the file is not read whole).</summary>
/// <param name="SessionId">Its id: pass it to <see cref="ConversationHistory.ReadAsync"/> or to <c>SessionOptions.Resume</c>.</param>
/// <param name="ProjectName">The project folder it is in.</param>
/// <param name="WorkingDirectory">The working directory it ran in, as the transcript records it.</param>
/// <param name="FilePath">The transcript file.</param>
/// <param name="LastModified">When it was last written.</param>
/// <param name="SizeBytes">The transcript's size.</param>
/// <param name="Summary">The CLI's summary line, when it wrote one.</param>
/// <param name="FirstPrompt">The first user prompt (cut at 200 characters).</param>
public sealed record StoredSession(
    string SessionId, string ProjectName, string? WorkingDirectory, string FilePath, DateTimeOffset LastModified, long SizeBytes,
    string? Summary, string? FirstPrompt);

/// <summary>Lists the CLI's stored conversations and projects, like the Elixir SDK's history helpers.</summary>
public static class StoredSessions
{
    // A transcript's head is enough for its directory, summary and first prompt; a huge file is never read whole.
    private const int HeadLines = 64;
    private const int HeadChars = 256 * 1024;
    private const int PromptChars = 200;

    /// <summary>Every project folder, the most recently used first.</summary>
    /// <param name="configDirectory">The CLI's config dir; default <see cref="ConversationHistory.ConfigDirectory"/>.</param>
    /// <param name="cancellationToken">Stops the listing.</param>
    public static async Task<IReadOnlyList<StoredProject>> ListProjectsAsync(string? configDirectory = null, CancellationToken cancellationToken = default)
    {
        var projects = ConversationHistory.ProjectsDirectory(configDirectory ?? ConversationHistory.ConfigDirectory());
        if (!Directory.Exists(projects)) return [];
        var result = new List<StoredProject>();
        foreach (var folder in Directory.EnumerateDirectories(projects))
        {
            var files = Transcripts(folder).OrderByDescending(f => f.LastWriteTimeUtc).ToList();
            if (files.Count == 0) continue;
            var head = await ReadHeadAsync(files[0].FullName, cancellationToken).ConfigureAwait(false);
            result.Add(new StoredProject(Path.GetFileName(folder), head.WorkingDirectory, files.Count, files[0].LastWriteTimeUtc));
        }
        return result.OrderByDescending(p => p.LastModified).ToList();
    }

    /// <summary>Every stored conversation, or those of one working directory, the most recent first.</summary>
    /// <param name="configDirectory">The CLI's config dir; default <see cref="ConversationHistory.ConfigDirectory"/>.</param>
    /// <param name="workingDirectory">Only this working directory's project.</param>
    /// <param name="cancellationToken">Stops the listing.</param>
    public static async Task<IReadOnlyList<StoredSession>> ListAsync(string? configDirectory = null, string? workingDirectory = null,
        CancellationToken cancellationToken = default)
    {
        var projects = ConversationHistory.ProjectsDirectory(configDirectory ?? ConversationHistory.ConfigDirectory());
        if (!Directory.Exists(projects)) return [];
        var folders = workingDirectory is null
            ? Directory.EnumerateDirectories(projects)
            : [Path.Combine(projects, ConversationHistory.EncodeProjectPath(Path.GetFullPath(workingDirectory)))];
        var result = new List<StoredSession>();
        foreach (var folder in folders.Where(Directory.Exists))
        {
            foreach (var file in Transcripts(folder))
            {
                var head = await ReadHeadAsync(file.FullName, cancellationToken).ConfigureAwait(false);
                result.Add(new StoredSession(Path.GetFileNameWithoutExtension(file.Name), Path.GetFileName(folder), head.WorkingDirectory,
                    file.FullName, file.LastWriteTimeUtc, file.Length, head.Summary, head.FirstPrompt));
            }
        }
        return result.OrderByDescending(s => s.LastModified).ToList();
    }

    /// <summary>
    /// The working directory a project folder name stands for, best effort: the CLI turns every character that is not
    /// a letter or digit into <c>-</c>, so <c>/a-b</c> and <c>/a/b</c> look alike. <see cref="StoredProject.WorkingDirectory"/>
    /// (read from the transcripts) is exact; use this only when a project has no readable transcript.
    /// </summary>
    /// <param name="projectName">A folder name under <c>projects/</c>.</param>
    public static string DecodeProjectPath(string projectName) => projectName.Replace('-', '/');

    // Conversations only: the CLI also keeps other files there (agent sidechains under other names).
    private static IEnumerable<FileInfo> Transcripts(string folder) =>
        new DirectoryInfo(folder).EnumerateFiles("*.jsonl").Where(f => SessionIds.IsValid(Path.GetFileNameWithoutExtension(f.Name)));

    private sealed record Head(string? WorkingDirectory, string? Summary, string? FirstPrompt);

    private static async Task<Head> ReadHeadAsync(string path, CancellationToken cancellationToken)
    {
        string? cwd = null, summary = null, prompt = null;
        try
        {
            using var reader = new StreamReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete), Encoding.UTF8);
            var chars = 0;
            for (var n = 0; n < HeadLines && chars < HeadChars && (cwd is null || prompt is null); n++)
            {
                if (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is not { } line) break;
                chars += line.Length;
                if (line.Length == 0 || line.Length > HeadChars) continue;
                try
                {
                    using var doc = JsonDocument.Parse(line);
                    var root = doc.RootElement;
                    if (root.ValueKind != JsonValueKind.Object) continue;
                    cwd ??= String(root, "cwd");
                    var type = String(root, "type");
                    if (type == "summary") summary ??= String(root, "summary");
                    else if (type == "user" && prompt is null && !IsTrue(root, "isMeta") && !IsTrue(root, "isSidechain")) prompt = PromptOf(root);
                }
                catch (JsonException)
                {
                    // A malformed line in the head says nothing about the conversation; ReadAsync reports it.
                }
            }
        }
        catch (IOException)
        {
            // Gone or unreadable since it was listed: listed without details.
        }
        return new Head(cwd, summary, prompt);
    }

    private static string? PromptOf(JsonElement userLine)
    {
        if (!userLine.TryGetProperty("message", out var message) || message.ValueKind != JsonValueKind.Object ||
            !message.TryGetProperty("content", out var content)) return null;
        var text = content.ValueKind switch
        {
            JsonValueKind.String => content.GetString(),
            JsonValueKind.Array => content.EnumerateArray()
                .Where(b => b.ValueKind == JsonValueKind.Object && String(b, "type") == "text")
                .Select(b => String(b, "text")).FirstOrDefault(t => t is not null),
            _ => null,
        };
        // Tool results and the CLI's own local-command lines are not prompts.
        if (string.IsNullOrWhiteSpace(text) || text.StartsWith('<')) return null;
        text = text.ReplaceLineEndings(" ").Trim();
        return text.Length <= PromptChars ? text : text[..PromptChars] + "…";
    }

    private static string? String(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static bool IsTrue(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.True;
}
