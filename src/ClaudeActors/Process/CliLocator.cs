
namespace ClaudeActors.Process;

/// <summary>
/// Finds the <c>claude</c> executable: the configured path (a path, or a name looked up on PATH), else
/// <c>CLAUDE_CLI_PATH</c>, else <c>claude</c> on PATH, else the copy this repository pins under
/// <c>tools/claude-cli</c> (found by walking up from the application folder, for <c>dotnet run</c> in a checkout).
/// </summary>
internal static class CliLocator
{
    public const string EnvironmentVariable = "CLAUDE_CLI_PATH";

    public static string Resolve(string? configured)
    {
        var tried = new List<string>();
        if (!string.IsNullOrWhiteSpace(configured))
            return Find(configured, tried) ?? throw NotFound(tried);
        var fromEnv = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnv) && Find(fromEnv, tried) is { } envPath) return envPath;
        if (Find("claude", tried) is { } onPath) return onPath;
        if (FindPinned(tried) is { } pinned) return pinned;
        throw NotFound(tried);
    }

    /// <summary>The full path of <paramref name="name"/> on PATH, or null.</summary>
    public static string? FindOnPath(string name) => Find(name, []);

    private static string? Find(string candidate, List<string> tried)
    {
        if (candidate.Contains(Path.DirectorySeparatorChar) || candidate.Contains(Path.AltDirectorySeparatorChar))
        {
            var full = Path.GetFullPath(candidate);
            tried.Add(full);
            return IsExecutable(full) ? full : null;
        }
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var full = Path.Combine(dir, candidate);
            if (IsExecutable(full)) return full;
        }
        tried.Add(candidate + " on PATH");
        return null;
    }

    private static string? FindPinned(List<string> tried)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var pinned = Path.Combine(dir.FullName, "tools", "claude-cli", "node_modules", ".bin", "claude");
            if (IsExecutable(pinned)) return pinned;
        }
        tried.Add("tools/claude-cli/node_modules/.bin/claude above " + AppContext.BaseDirectory);
        return null;
    }

    private static bool IsExecutable(string path)
    {
        if (!File.Exists(path)) return false;
        if (OperatingSystem.IsWindows()) return true;
        return (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
    }

    private static CliNotFoundException NotFound(List<string> tried) =>
        new(new SessionFailure(FailureKind.CliNotFound,
            "The claude CLI was not found (tried: " + string.Join("; ", tried) +
            "). Install it with `npm install -g @anthropic-ai/claude-code`, or set SessionOptions.CliPath or " + EnvironmentVariable + "."));
}
