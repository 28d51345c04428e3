using System.Collections.Concurrent;
using System.Diagnostics;
using SysProcess = System.Diagnostics.Process;
using System.Text;
using Akka.Actor;
using Akka.Event;
using ClaudeActors.Client;
using ClaudeActors.Sessions;

// Shared by the chaos campaign (tests/ClaudeActors.Chaos, linked) and the smoke subset (tests/ClaudeActors.Tests/Chaos).
// Depends only on the product and the test kit: no xunit, no test infrastructure.
namespace ClaudeActors.Tests.Chaos;

/// <summary>Where the repository, the real CLI, the fake CLI and the built host are.</summary>
public static class ChaosPaths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>The configuration this assembly was built with (its output folder is .../bin/&lt;Configuration&gt;/net10.0/).</summary>
    public static string Configuration { get; } = new DirectoryInfo(AppContext.BaseDirectory).Parent?.Name ?? "Debug";

    public static string RealCli => Path.Combine(RepoRoot, "tools", "claude-cli", "node_modules", ".bin", "claude");

    /// <summary>The fake CLI of this configuration, else of the other one.</summary>
    public static string FakeCli => Built(Path.Combine("tests", "ClaudeActors.FakeCli"), "fake-claude")
        ?? throw new InvalidOperationException("The fake CLI was not built (dotnet build tests/ClaudeActors.FakeCli).");

    /// <summary>The host (claude-actors.dll) of this configuration, else the newest one built; null when none is.</summary>
    public static string? HostDll => Built(Path.Combine("src", "ClaudeActors.Host"), "claude-actors.dll");

    private static string? Built(string project, string file)
    {
        var candidates = new[] { Configuration, "Release", "Debug" }.Distinct()
            .Select(c => Path.Combine(RepoRoot, project, "bin", c, "net10.0", file))
            .Where(File.Exists)
            .ToList();
        return candidates.FirstOrDefault();
    }

    private static string FindRepoRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "ClaudeActors.sln"))) return dir.FullName;
        throw new InvalidOperationException("Cannot find ClaudeActors.sln above " + AppContext.BaseDirectory);
    }
}

/// <summary>
/// A private HOME, CLAUDE_CONFIG_DIR and working directory. Its config dir is the marker that finds every process
/// started for it (in /proc/*/environ); disposing kills whatever is left and deletes the folders.
/// </summary>
public sealed class ChaosSandbox : IDisposable
{
    public const string ApiKey = "sk-test-chaos-not-a-real-key";

    public ChaosSandbox(Uri? apiBaseUrl = null, string prefix = "ca-chaos-")
    {
        Root = Path.Combine(Path.GetTempPath(), prefix + Guid.NewGuid().ToString("N")[..12]);
        Home = Directory.CreateDirectory(Path.Combine(Root, "home")).FullName;
        ConfigDir = Directory.CreateDirectory(Path.Combine(Root, "config")).FullName;
        WorkDir = Directory.CreateDirectory(Path.Combine(Root, "work")).FullName;
        Scripts = Directory.CreateDirectory(Path.Combine(Root, "scripts")).FullName;
        ApiBaseUrl = apiBaseUrl;
    }

    public string Root { get; }
    public string Home { get; }
    public string ConfigDir { get; }
    public string WorkDir { get; }
    public string Scripts { get; }
    public Uri? ApiBaseUrl { get; }

    public Dictionary<string, string> Environment(string? apiKey = null)
    {
        var env = new Dictionary<string, string>
        {
            ["HOME"] = Home,
            ["CLAUDE_CONFIG_DIR"] = ConfigDir,
            ["ANTHROPIC_API_KEY"] = apiKey ?? ApiKey,
            ["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] = "1",
            ["DISABLE_AUTOUPDATER"] = "1",
            ["DISABLE_TELEMETRY"] = "1",
        };
        if (ApiBaseUrl is not null) env["ANTHROPIC_BASE_URL"] = ApiBaseUrl.ToString().TrimEnd('/');
        return env;
    }

    public SessionOptions FakeCli(string? name = null) => new()
    {
        Name = name,
        CliPath = ChaosPaths.FakeCli,
        WorkingDirectory = WorkDir,
        Environment = Environment(),
    };

    public SessionOptions RealCli(string? name = null) => new()
    {
        Name = name,
        CliPath = ChaosPaths.RealCli,
        WorkingDirectory = WorkDir,
        Environment = Environment(),
    };

    /// <summary>Live (non-zombie) processes started for this sandbox, except <paramref name="exceptPid"/>.</summary>
    public IReadOnlyList<int> LiveProcesses(int? exceptPid = null) =>
        ChaosProcesses.WithEnvironmentEntry("CLAUDE_CONFIG_DIR=" + ConfigDir).Where(p => p != exceptPid).ToList();

    public int KillLeftovers()
    {
        var left = LiveProcesses();
        foreach (var pid in left)
        {
            try
            {
                SysProcess.GetProcessById(pid).Kill(entireProcessTree: true);
            }
            catch (Exception)
            {
                // Gone already.
            }
        }
        return left.Count;
    }

    public void Dispose()
    {
        KillLeftovers();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }
}

/// <summary>/proc readings: processes by environment entry, and this process's footprint.</summary>
public static class ChaosProcesses
{
    public static IReadOnlyList<int> WithEnvironmentEntry(string entry) => Scan(Encoding.UTF8.GetBytes(entry), prefix: false);

    /// <summary>Processes with an environment entry that starts with <paramref name="prefix"/>.</summary>
    public static IReadOnlyList<int> WithEnvironmentPrefix(string prefix) => Scan(Encoding.UTF8.GetBytes(prefix), prefix: true);

    private static IReadOnlyList<int> Scan(byte[] needle, bool prefix)
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == Environment.ProcessId) continue;
            try
            {
                if (!IsAlive(pid)) continue;
                var environ = File.ReadAllBytes(Path.Combine(dir, "environ"));
                if (ContainsEntry(environ, needle, prefix)) found.Add(pid);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Exited while we looked.
            }
        }
        return found;
    }

    private static bool ContainsEntry(byte[] environ, byte[] entry, bool prefix)
    {
        var start = 0;
        for (var i = 0; i <= environ.Length; i++)
        {
            if (i < environ.Length && environ[i] != 0) continue;
            var length = i - start;
            if ((prefix ? length >= entry.Length : length == entry.Length) && environ.AsSpan(start, entry.Length).SequenceEqual(entry)) return true;
            start = i + 1;
        }
        return false;
    }

    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var close = stat.LastIndexOf(')');
            return !(close > 0 && close + 2 < stat.Length && stat[close + 2] is 'Z' or 'X');
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    public static string Comm(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return "?";
        }
    }

    /// <summary>Proportional set size of a process (its fair share of shared pages), from /proc/PID/smaps_rollup.</summary>
    public static long PssBytes(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/smaps_rollup"))
                if (line.StartsWith("Pss:", StringComparison.Ordinal))
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
        }
        return 0;
    }

    public static int OpenFileDescriptors() => Directory.EnumerateFileSystemEntries("/proc/self/fd").Count();

    public static int Threads() => SysProcess.GetCurrentProcess().Threads.Count;

    public static long WorkingSetBytes()
    {
        using var self = SysProcess.GetCurrentProcess();
        self.Refresh();
        return self.WorkingSet64;
    }

    /// <summary>Every process on the machine whose command is claude/fake-claude/node-claude, for the final check.</summary>
    public static IReadOnlyList<string> ClaudeLikeProcesses()
    {
        var found = new List<string>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var cmd = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                if (IsAlive(pid) && (cmd.Contains("fake-claude", StringComparison.Ordinal) || cmd.Contains("claude-cli", StringComparison.Ordinal) || cmd.Contains("chaos-script", StringComparison.Ordinal)))
                    found.Add($"{pid} {cmd[..Math.Min(cmd.Length, 120)]}");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
            }
        }
        return found;
    }

    public static async Task<bool> WaitUntilAsync(Func<bool> condition, TimeSpan timeout, int pollMs = 20)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (condition()) return true;
            await Task.Delay(pollMs).ConfigureAwait(false);
        }
        return condition();
    }
}

/// <summary>Percentiles of a sample.</summary>
public static class ChaosStats
{
    public static double Percentile(IReadOnlyCollection<double> values, double p)
    {
        if (values.Count == 0) return double.NaN;
        var sorted = values.OrderBy(v => v).ToArray();
        var rank = (int)Math.Ceiling(p / 100.0 * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
    }

    public static string Ms(double value) => double.IsNaN(value) ? "n/a" : value.ToString("0", System.Globalization.CultureInfo.InvariantCulture) + " ms";

    public static string Mb(long bytes) => (bytes / 1024.0 / 1024.0).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) + " MB";
}

/// <summary>An Akka logger that keeps every log event (the secrets case greps them; the campaign counts warnings).</summary>
public sealed class ChaosListLogger : ReceiveActor
{
    public static readonly ConcurrentQueue<LogEvent> Events = new();

    public ChaosListLogger()
    {
        Receive<InitializeLogger>(_ => Sender.Tell(new LoggerInitialized()));
        Receive<LogEvent>(e =>
        {
            Events.Enqueue(e);
            while (Events.Count > 200_000 && Events.TryDequeue(out _))
            {
            }
        });
    }

    /// <summary>The HOCON line that installs this logger (and nothing else: the campaign prints its own table).</summary>
    public static string Hocon(string level) =>
        $"akka.loglevel = {level}\nakka.stdout-loglevel = OFF\nakka.loggers = [\"{typeof(ChaosListLogger).FullName}, {typeof(ChaosListLogger).Assembly.GetName().Name}\"]\n" +
        "akka.log-dead-letters = off\nakka.log-dead-letters-during-shutdown = off\n";

    public static string Render(LogEvent e) => e + (e.Cause is { } cause ? " | " + cause : "");
}

/// <summary>Records every <see cref="SessionStatusChanged"/> with a timestamp (for kill→Ready).</summary>
public sealed class ChaosStatusLog
{
    private readonly ConcurrentDictionary<string, List<(double AtMs, SessionStatus Status, FailureKind? Kind)>> _byName = new();
    public Stopwatch Clock { get; } = Stopwatch.StartNew();

    public void Add(SessionStatusChanged changed)
    {
        var list = _byName.GetOrAdd(changed.Name, _ => []);
        lock (list) list.Add((Clock.Elapsed.TotalMilliseconds, changed.Status, changed.Failure?.Kind));
    }

    public IReadOnlyList<(double AtMs, SessionStatus Status, FailureKind? Kind)> For(string name)
    {
        if (!_byName.TryGetValue(name, out var list)) return [];
        lock (list) return list.ToList();
    }

    /// <summary>The time the session was Ready again after a crash that happened at <paramref name="killMs"/>: first Restarting after it, then first Ready.</summary>
    public double? ReadyAfter(string name, double killMs)
    {
        var events = For(name);
        var restarting = events.FirstOrDefault(e => e.AtMs >= killMs - 1 && e.Status == SessionStatus.Restarting);
        if (restarting == default) return null;
        var ready = events.FirstOrDefault(e => e.AtMs >= restarting.AtMs && e.Status == SessionStatus.Ready);
        return ready == default ? null : ready.AtMs;
    }

    public static IActorRef Subscribe(ActorSystem system, ChaosStatusLog log)
    {
        var actor = system.ActorOf(Props.Create(() => new Recorder(log)), "chaos-status-" + Guid.NewGuid().ToString("N")[..8]);
        system.EventStream.Subscribe(actor, typeof(SessionStatusChanged));
        return actor;
    }

    private sealed class Recorder : ReceiveActor
    {
        public Recorder(ChaosStatusLog log) => Receive<SessionStatusChanged>(log.Add);
    }
}

/// <summary>
/// A session that keeps answering while chaos happens elsewhere: one short turn every <c>period</c>, each checked.
/// The hostile-input and secrets cases run beside it; any failure or wrong answer is counted against the case.
/// </summary>
public sealed class ChaosHealthyLoop : IAsyncDisposable
{
    private readonly ClaudeSession _session;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly List<double> _latencies = [];
    private readonly List<string> _problems = [];
    private int _turns;

    private ChaosHealthyLoop(ClaudeSession session, TimeSpan period)
    {
        _session = session;
        _loop = Task.Run(() => RunAsync(period));
    }

    public static async Task<ChaosHealthyLoop> StartAsync(ActorSystem system, ChaosSandbox sandbox, TimeSpan period)
    {
        var session = await ClaudeSession.StartAsync(system, sandbox.FakeCli("healthy-" + Guid.NewGuid().ToString("N")[..6])).ConfigureAwait(false);
        return new ChaosHealthyLoop(session, period);
    }

    public int Turns => Volatile.Read(ref _turns);

    /// <summary>Problems seen since the last call (and clears them), with the latency max of that window.</summary>
    public (int Turns, IReadOnlyList<string> Problems, double MaxLatencyMs) TakeWindow()
    {
        lock (_problems)
        {
            var result = (Interlocked.Exchange(ref _turns, 0), (IReadOnlyList<string>)_problems.ToList(), _latencies.Count == 0 ? 0 : _latencies.Max());
            _problems.Clear();
            _latencies.Clear();
            return result;
        }
    }

    private async Task RunAsync(TimeSpan period)
    {
        var n = 0;
        while (!_stop.IsCancellationRequested)
        {
            var text = "healthy-" + ++n;
            var watch = Stopwatch.StartNew();
            try
            {
                var answer = await _session.FinalTextAsync("Say exactly: " + text, new QueryOptions { Timeout = TimeSpan.FromSeconds(30) }).ConfigureAwait(false);
                lock (_problems)
                {
                    _latencies.Add(watch.Elapsed.TotalMilliseconds);
                    if (answer != text) _problems.Add($"healthy session answered '{answer}' instead of '{text}'");
                }
            }
            catch (Exception ex)
            {
                if (_stop.IsCancellationRequested) break;
                lock (_problems) _problems.Add("healthy session failed: " + ex.GetType().Name + ": " + ex.Message);
            }
            Interlocked.Increment(ref _turns);
            try
            {
                await Task.Delay(period, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        try
        {
            await _loop.WaitAsync(TimeSpan.FromSeconds(35)).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Reported through TakeWindow already.
        }
        await _session.StopAsync().ConfigureAwait(false);
    }
}
