using System.Diagnostics;
using System.Text;
using ClaudeActors.Sessions;

namespace ClaudeActors.Benchmarks;

/// <summary>Where the repository, the pinned CLI and the fixtures are.</summary>
internal static class BenchPaths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string RealCli => Path.Combine(RepoRoot, "tools", "claude-cli", "node_modules", ".bin", "claude");

    /// <summary>
    /// The CLI of the turn, start and trace benchmarks: the real one, or with <c>--fake-cli</c> the fake one, whose
    /// turn takes a few milliseconds instead of tens, so a paired difference of a fraction of a millisecond shows.
    /// </summary>
    public static string SessionCli { get; set; } = RealCli;

    public static string Fixtures => Path.Combine(RepoRoot, "tests", "ClaudeActors.Tests", "Fixtures");

    /// <summary>
    /// The fake CLI of tests/ClaudeActors.FakeCli, built with this harness's configuration (the output folder is
    /// .../bin/&lt;Configuration&gt;/net10.0/); the project reference builds it alongside.
    /// </summary>
    public static string FakeCli => Path.Combine(RepoRoot, "tests", "ClaudeActors.FakeCli", "bin",
        new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name, "net10.0", "fake-claude");

    private static string FindRepoRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "ClaudeActors.sln"))) return dir.FullName;
        throw new InvalidOperationException("Cannot find ClaudeActors.sln above " + AppContext.BaseDirectory);
    }
}

/// <summary>
/// A private HOME, CLAUDE_CONFIG_DIR and working directory for one CLI, and the environment that points it at the
/// fake Messages API. Disposing it kills every process still running with its CLAUDE_CONFIG_DIR (found in /proc)
/// and deletes the folders.
/// </summary>
internal sealed class BenchSandbox : IAsyncDisposable
{
    public const string ApiKey = "sk-test-bench";

    private static readonly List<BenchSandbox> Live = [];

    public BenchSandbox(Uri apiBaseUrl)
    {
        Root = Path.Combine(Path.GetTempPath(), "ca-bench-" + Guid.NewGuid().ToString("N")[..12]);
        Home = Directory.CreateDirectory(Path.Combine(Root, "home")).FullName;
        ConfigDir = Directory.CreateDirectory(Path.Combine(Root, "config")).FullName;
        WorkDir = Directory.CreateDirectory(Path.Combine(Root, "work")).FullName;
        Environment = new Dictionary<string, string>
        {
            ["HOME"] = Home,
            ["CLAUDE_CONFIG_DIR"] = ConfigDir,
            ["ANTHROPIC_BASE_URL"] = apiBaseUrl.ToString().TrimEnd('/'),
            ["ANTHROPIC_API_KEY"] = ApiKey,
            ["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] = "1",
            ["DISABLE_TELEMETRY"] = "1",
            ["DISABLE_AUTOUPDATER"] = "1",
        };
        lock (Live) Live.Add(this);
    }

    public string Root { get; }
    public string Home { get; }
    public string ConfigDir { get; }
    public string WorkDir { get; }
    public IReadOnlyDictionary<string, string> Environment { get; }

    public SessionOptions SessionOptions() => new()
    {
        CliPath = BenchPaths.SessionCli,
        WorkingDirectory = WorkDir,
        Environment = Environment,
    };

    /// <summary>Pids of live (non-zombie) processes whose environment holds this sandbox's CLAUDE_CONFIG_DIR.</summary>
    public List<int> LiveProcesses()
    {
        var marker = "CLAUDE_CONFIG_DIR=" + ConfigDir;
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == System.Environment.ProcessId) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var close = stat.LastIndexOf(')');
                if (close > 0 && close + 2 < stat.Length && stat[close + 2] is 'Z' or 'X') continue;
                var environ = Encoding.UTF8.GetString(File.ReadAllBytes(Path.Combine(dir, "environ")));
                if (environ.Split('\0').Contains(marker)) found.Add(pid);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Exited while we looked, or not ours to read.
            }
        }
        return found;
    }

    /// <summary>Gives the CLI up to <paramref name="grace"/> to exit by itself, then kills what is left.</summary>
    public async Task<int> KillLeftoversAsync(TimeSpan grace)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < grace && LiveProcesses().Count > 0) await Task.Delay(50);
        var killed = 0;
        foreach (var pid in LiveProcesses())
        {
            try
            {
                using var p = System.Diagnostics.Process.GetProcessById(pid);
                p.Kill(entireProcessTree: true);
                killed++;
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // Gone already.
            }
        }
        return killed;
    }

    public async ValueTask DisposeAsync()
    {
        var killed = await KillLeftoversAsync(TimeSpan.FromSeconds(5));
        if (killed > 0) Console.Error.WriteLine($"  (killed {killed} leftover process(es) of {Root})");
        DeleteFolder();
        lock (Live) Live.Remove(this);
    }

    /// <summary>Last resort on exit (Ctrl+C, an unhandled error): kill every sandbox's processes at once.</summary>
    public static void KillAllNow()
    {
        BenchSandbox[] all;
        lock (Live) all = Live.ToArray();
        foreach (var sandbox in all)
        {
            foreach (var pid in sandbox.LiveProcesses())
            {
                try
                {
                    using var p = System.Diagnostics.Process.GetProcessById(pid);
                    p.Kill(entireProcessTree: true);
                }
                catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
                {
                }
            }
            sandbox.DeleteFolder();
        }
    }

    private void DeleteFolder()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }
}
