namespace ClaudeActors.Tests.Infrastructure;

/// <summary>Where the real CLI (pinned under tools/claude-cli) and the fake CLI (built next to the tests) are.</summary>
internal static class TestPaths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string RealCli { get; } = Path.Combine(RepoRoot, "tools", "claude-cli", "node_modules", ".bin", "claude");

    public static string FakeCli { get; } = FindFakeCli();

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ClaudeActors.sln"))) return dir.FullName;
        throw new InvalidOperationException("Cannot find the repository root above " + AppContext.BaseDirectory);
    }

    private static string FindFakeCli()
    {
        // The test output folder is .../bin/<Configuration>/net10.0/: the fake CLI is built with the same configuration.
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var path = Path.Combine(RepoRoot, "tests", "ClaudeActors.FakeCli", "bin", configuration, "net10.0", "fake-claude");
        if (!File.Exists(path)) throw new InvalidOperationException("The fake CLI was not built: " + path);
        return path;
    }
}
