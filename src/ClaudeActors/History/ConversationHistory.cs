using System.Text;
using System.Text.Json;
using ClaudeActors.Protocol;

namespace ClaudeActors.History;

/// <summary>A line of a transcript that could not be read; reported, never fatal.</summary>
/// <param name="LineNumber">1-based line number in the file.</param>
/// <param name="Reason">Why it was skipped.</param>
public sealed record TranscriptProblem(int LineNumber, string Reason);

/// <summary>A conversation read from the CLI's transcript: the user and assistant messages in order.</summary>
/// <param name="SessionId">The conversation's id.</param>
/// <param name="FilePath">The transcript file.</param>
/// <param name="Messages">The <see cref="UserMessage"/>s and <see cref="AssistantMessage"/>s of the main thread (sidechains skipped).</param>
/// <param name="Problems">Lines that were malformed.</param>
public sealed record Conversation(string SessionId, string FilePath, IReadOnlyList<ClaudeMessage> Messages, IReadOnlyList<TranscriptProblem> Problems);

/// <summary>
/// Reads conversations the CLI stored under <c>$CLAUDE_CONFIG_DIR/projects/&lt;encoded cwd&gt;/&lt;session id&gt;.jsonl</c>
/// (default config dir <c>~/.claude</c>), like the Elixir SDK's <c>ClaudeCode.conversation/1</c>.
/// Session ids and project names come from users: anything that could leave the projects folder is rejected.
/// </summary>
public static class ConversationHistory
{
    /// <summary>The CLI's config dir for a session's environment: <c>CLAUDE_CONFIG_DIR</c>, else <c>$HOME/.claude</c>.</summary>
    public static string ConfigDirectory(IReadOnlyDictionary<string, string>? environment = null)
    {
        if (environment is not null && environment.TryGetValue("CLAUDE_CONFIG_DIR", out var fromOptions) && fromOptions.Length > 0) return fromOptions;
        if (environment is not null && environment.TryGetValue("HOME", out var home) && home.Length > 0) return Path.Combine(home, ".claude");
        var fromEnv = Environment.GetEnvironmentVariable("CLAUDE_CONFIG_DIR");
        if (!string.IsNullOrEmpty(fromEnv)) return fromEnv;
        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".claude");
    }

    /// <summary>The folder holding every project's transcripts.</summary>
    public static string ProjectsDirectory(string configDirectory) => Path.Combine(configDirectory, "projects");

    /// <summary>The CLI's folder name for a working directory: every character that is not a letter or digit becomes <c>-</c>.</summary>
    public static string EncodeProjectPath(string workingDirectory)
    {
        var chars = workingDirectory.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
            if (!char.IsAsciiLetterOrDigit(chars[i])) chars[i] = '-';
        return new string(chars);
    }

    /// <summary>The transcript file of <paramref name="sessionId"/>: in the working directory's project folder when given, else searched across all projects. Null when absent.</summary>
    /// <exception cref="InvalidSessionRequestException">The session id is not a UUID.</exception>
    public static string? FindTranscript(string sessionId, string configDirectory, string? workingDirectory = null)
    {
        EnsureValidId(sessionId);
        var projects = ProjectsDirectory(configDirectory);
        if (!Directory.Exists(projects)) return null;
        if (workingDirectory is not null)
        {
            var direct = Path.Combine(projects, EncodeProjectPath(Path.GetFullPath(workingDirectory)), sessionId + ".jsonl");
            if (File.Exists(direct)) return direct;
        }
        foreach (var project in Directory.EnumerateDirectories(projects))
        {
            var candidate = Path.Combine(project, sessionId + ".jsonl");
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>Reads the conversation of <paramref name="sessionId"/>.</summary>
    /// <exception cref="InvalidSessionRequestException">The id is not a UUID.</exception>
    /// <exception cref="SessionNotFoundException">No transcript exists for it.</exception>
    public static async Task<Conversation> ReadAsync(string sessionId, string? configDirectory = null, string? workingDirectory = null, CancellationToken cancellationToken = default)
    {
        var config = configDirectory ?? ConfigDirectory();
        var path = FindTranscript(sessionId, config, workingDirectory)
                   ?? throw new SessionNotFoundException(new SessionFailure(FailureKind.SessionNotFound,
                       $"No transcript for session {sessionId} under {ProjectsDirectory(config)}."));
        return await ReadFileAsync(path, sessionId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads one transcript file: user/assistant lines of the main thread, in order; malformed lines are reported.</summary>
    public static async Task<Conversation> ReadFileAsync(string path, string? sessionId = null, CancellationToken cancellationToken = default)
    {
        var messages = new List<ClaudeMessage>();
        var problems = new List<TranscriptProblem>();
        var number = 0;
        using var reader = new StreamReader(path, Encoding.UTF8);
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            number++;
            if (line.Length == 0) continue;
            var parsed = MessageParser.Parse(line);
            if (!parsed.IsSuccess)
            {
                problems.Add(new TranscriptProblem(number, parsed.Error ?? "unreadable"));
                continue;
            }
            if (parsed.Message is not (UserMessage or AssistantMessage) || IsSidechain(parsed.Message)) continue;
            messages.Add(parsed.Message);
        }
        return new Conversation(sessionId ?? Path.GetFileNameWithoutExtension(path), path, messages, problems);
    }

    private static bool IsSidechain(ClaudeMessage message) =>
        message.ExtensionData is { } extra && extra.TryGetValue("isSidechain", out var value) && value.ValueKind == JsonValueKind.True;

    private static void EnsureValidId(string sessionId)
    {
        if (!SessionIds.IsValid(sessionId))
            throw new InvalidSessionRequestException(new SessionFailure(FailureKind.InvalidRequest,
                "A session id must be a UUID (36 characters); path characters are not allowed."));
    }
}
