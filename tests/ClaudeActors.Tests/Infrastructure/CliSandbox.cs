using ClaudeActors.Sessions;
using ClaudeActors.Testing;

namespace ClaudeActors.Tests.Infrastructure;

/// <summary>
/// A private HOME, CLAUDE_CONFIG_DIR and working directory for one test, plus the environment that points the
/// CLI at the test's fake Messages API. Its folder name is a marker that finds every process the test started.
/// </summary>
public sealed class CliSandbox : IDisposable
{
    public const string TestApiKey = "sk-test-claudeactors-not-a-real-key";

    public CliSandbox(Uri? apiBaseUrl = null)
    {
        Root = Path.Combine(Path.GetTempPath(), "ca-test-" + Guid.NewGuid().ToString("N")[..12]);
        Home = Directory.CreateDirectory(Path.Combine(Root, "home")).FullName;
        ConfigDir = Directory.CreateDirectory(Path.Combine(Root, "config")).FullName;
        WorkDir = Directory.CreateDirectory(Path.Combine(Root, "work")).FullName;
        ApiBaseUrl = apiBaseUrl;
    }

    public string Root { get; }
    public string Home { get; }
    public string ConfigDir { get; }
    public string WorkDir { get; }
    public Uri? ApiBaseUrl { get; }

    public IReadOnlyDictionary<string, string> Environment
    {
        get
        {
            var env = new Dictionary<string, string>
            {
                ["HOME"] = Home,
                ["CLAUDE_CONFIG_DIR"] = ConfigDir,
                ["ANTHROPIC_API_KEY"] = TestApiKey,
                ["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] = "1",
                ["DISABLE_AUTOUPDATER"] = "1",
                ["DISABLE_TELEMETRY"] = "1",
            };
            if (ApiBaseUrl is not null) env["ANTHROPIC_BASE_URL"] = ApiBaseUrl.ToString().TrimEnd('/');
            return env;
        }
    }

    /// <summary>Options for the real CLI against the fake API.</summary>
    public SessionOptions RealCliOptions(string? name = null) => new()
    {
        Name = name,
        CliPath = TestPaths.RealCli,
        WorkingDirectory = WorkDir,
        Environment = Environment,
    };

    /// <summary>Options for the fast fake CLI.</summary>
    public SessionOptions FakeCliOptions(string? name = null) => new()
    {
        Name = name,
        CliPath = TestPaths.FakeCli,
        WorkingDirectory = WorkDir,
        Environment = Environment,
    };

    /// <summary>Process ids of every live process started for this sandbox (matched by its config dir in the environment).</summary>
    public IReadOnlyList<int> LiveProcesses() => ProcessTable.WithEnvironmentValue("CLAUDE_CONFIG_DIR=" + ConfigDir);

    public void Dispose()
    {
        foreach (var pid in LiveProcesses())
        {
            try
            {
                System.Diagnostics.Process.GetProcessById(pid).Kill(entireProcessTree: true);
            }
            catch (Exception)
            {
                // Gone already.
            }
        }
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

/// <summary>Reads /proc to find processes: the proof that no CLI outlives its session.</summary>
public static class ProcessTable
{
    public static IReadOnlyList<int> WithEnvironmentValue(string entry)
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == Environment.ProcessId) continue;
            try
            {
                if (IsZombie(pid)) continue;
                var environ = File.ReadAllBytes(Path.Combine(dir, "environ"));
                var text = System.Text.Encoding.UTF8.GetString(environ);
                if (text.Split('\0').Contains(entry)) found.Add(pid);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Exited while we looked.
            }
        }
        return found;
    }

    public static bool IsAlive(int pid)
    {
        try
        {
            return File.Exists($"/proc/{pid}/stat") && !IsZombie(pid);
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static bool IsZombie(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var close = stat.LastIndexOf(')');
        return close > 0 && close + 2 < stat.Length && stat[close + 2] is 'Z' or 'X';
    }

    /// <summary>Polls until <paramref name="condition"/> holds or the time is up; returns whether it held.</summary>
    public static async Task<bool> WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (condition()) return true;
            await Task.Delay(50);
        }
        return condition();
    }
}
