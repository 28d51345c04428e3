using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using ClaudeActors.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using SystemProcess = System.Diagnostics.Process;

namespace ClaudeActors.Tests.CommandLine;

/// <summary>The result of one run of the built host.</summary>
internal sealed record HostRun(int ExitCode, string Stdout, string Stderr, TimeSpan Elapsed)
{
    public string[] StderrLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

/// <summary>
/// Runs the built host (<c>claude-actors.dll</c>, same configuration as the tests) as its own process, with a
/// sandbox's environment: one-shot commands to completion, or a long-running <c>node</c> read line by line.
/// </summary>
internal static class HostProcess
{
    /// <summary>The host built with the tests' configuration (the project reference builds it first).</summary>
    public static string HostDll()
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var path = Path.Combine(TestPaths.RepoRoot, "src", "ClaudeActors.Host", "bin", configuration, "net10.0", "claude-actors.dll");
        return File.Exists(path) ? path : throw new InvalidOperationException("The host was not built: " + path);
    }

    public static ProcessStartInfo StartInfo(CliSandbox sandbox, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = sandbox.WorkDir,
        };
        start.ArgumentList.Add(HostDll());
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (key, value) in sandbox.Environment) start.Environment[key] = value;
        start.Environment.Remove("CLAUDE_CLI_PATH");
        // Nothing from the machine's environment may configure the host under test.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("ClaudeActors__", StringComparison.OrdinalIgnoreCase)).ToList())
            start.Environment.Remove(key);
        if (environment is not null)
            foreach (var (key, value) in environment) start.Environment[key] = value;
        return start;
    }

    /// <summary>Runs a command to completion with <paramref name="stdin"/> as its input.</summary>
    public static async Task<HostRun> RunAsync(CliSandbox sandbox, IReadOnlyList<string> arguments, ITestOutputHelper output,
        string stdin = "", TimeSpan? timeout = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(60);
        var clock = Stopwatch.StartNew();
        using var process = SystemProcess.Start(StartInfo(sandbox, arguments, environment)) ?? throw new InvalidOperationException("dotnet did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();
        using var cancel = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Assert.Fail($"claude-actors {string.Join(' ', arguments)} did not exit within {limit}.\nstdout:\n{await stdout}\nstderr:\n{await stderr}");
        }
        var run = new HostRun(process.ExitCode, await stdout, await stderr, clock.Elapsed);
        output.WriteLine($"$ claude-actors {string.Join(' ', arguments)}\nexit code {run.ExitCode} after {run.Elapsed.TotalSeconds:0.0} s\n--- stdout\n{run.Stdout}\n--- stderr\n{run.Stderr}");
        return run;
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    /// <summary>Sends SIGTERM, as a container runtime or systemd stops a service.</summary>
    public static void Terminate(SystemProcess process)
    {
        const int sigterm = 15;
        if (Kill(process.Id, sigterm) != 0) throw new InvalidOperationException("kill(SIGTERM) failed: " + Marshal.GetLastPInvokeError());
    }
}

/// <summary>A <c>claude-actors node</c> running in the background; its stderr (the log) is collected line by line.</summary>
internal sealed partial class NodeProcess : IAsyncDisposable
{
    private readonly SystemProcess _process;
    private readonly ITestOutputHelper _output;
    private readonly StringBuilder _log = new();
    private readonly TaskCompletionSource<string> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private NodeProcess(SystemProcess process, ITestOutputHelper output)
    {
        _process = process;
        _output = output;
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not { } line) return;
            lock (_log) _log.AppendLine(line);
            if (StartedLine().Match(line) is { Success: true } match) _started.TrySetResult(match.Groups[1].Value);
        };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line) lock (_log) _log.AppendLine("stdout: " + line);
        };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
    }

    public SystemProcess Process => _process;

    public string Log
    {
        get
        {
            lock (_log) return _log.ToString();
        }
    }

    [GeneratedRegex(@"node started: (akka\.tcp://claude-actors@[^,\s]+)")]
    private static partial Regex StartedLine();

    public static NodeProcess Start(CliSandbox sandbox, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment, ITestOutputHelper output)
    {
        var process = SystemProcess.Start(HostProcess.StartInfo(sandbox, ["node", .. arguments], environment))
                      ?? throw new InvalidOperationException("dotnet did not start");
        process.StandardInput.Close();
        return new NodeProcess(process, output);
    }

    /// <summary>The node's address, from its "node started: ADDRESS, ..." line (logged once it is Up in its cluster).</summary>
    public async Task<string> WaitUntilStartedAsync(TimeSpan timeout)
    {
        var exited = _process.WaitForExitAsync();
        var first = await Task.WhenAny(_started.Task, exited, Task.Delay(timeout));
        if (first == _started.Task) return await _started.Task;
        Assert.Fail((first == exited ? $"the node exited with {_process.ExitCode} before it started" : $"the node did not start within {timeout}") + ":\n" + Log);
        return "";
    }

    /// <summary>SIGTERM, then waits for the exit; returns the exit code.</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        HostProcess.Terminate(_process);
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"the node did not exit within {timeout} of SIGTERM:\n{Log}");
        }
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _output.WriteLine("--- node log\n" + Log);
        _process.Dispose();
    }
}
