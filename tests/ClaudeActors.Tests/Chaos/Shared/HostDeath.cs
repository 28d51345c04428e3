using System.Diagnostics;
using SysProcess = System.Diagnostics.Process;
using System.Text;

namespace ClaudeActors.Tests.Chaos;

public sealed record HostDeathResult(bool TurnWasRunning, int CliProcessesBefore, double GoneAfterMs, int Left, string Notes)
{
    public bool Passed => TurnWasRunning && CliProcessesBefore > 0 && Left == 0 && GoneAfterMs < 5000;
}

/// <summary>
/// Starts the host (<c>dotnet claude-actors.dll chat</c>) with a sandbox, lets a slow turn start, SIGKILLs the host
/// (the host only, not its tree) and measures how long its CLI processes outlive it.
/// </summary>
public static class HostDeath
{
    public static async Task<HostDeathResult> RunAsync(string hostDll, string cliPath, ChaosSandbox sandbox, TimeSpan startTimeout, int slowMs = 2000)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = sandbox.WorkDir,
        };
        foreach (var arg in new[] { hostDll, "chat", "chaos-host-death", "--cli-path", cliPath, "--cwd", sandbox.WorkDir }) info.ArgumentList.Add(arg);
        foreach (var (key, value) in sandbox.Environment()) info.Environment[key] = value;
        info.Environment.Remove("CLAUDE_CLI_PATH");

        using var host = SysProcess.Start(info) ?? throw new InvalidOperationException("dotnet did not start");
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        // Raw reads, not line events: the streamed reply has no newline until the turn ends.
        var readers = new[] { Pump(host.StandardOutput, stdout), Pump(host.StandardError, stderr) };
        try
        {
            // The chat starts its session (and CLI) first; then the prompt is read from stdin.
            var started = await ChaosProcesses.WaitUntilAsync(() => sandbox.LiveProcesses(host.Id).Count > 0 || host.HasExited, startTimeout, 50).ConfigureAwait(false);
            if (!started || host.HasExited)
                return new HostDeathResult(false, 0, double.NaN, sandbox.KillLeftovers(), $"no CLI started (host exited: {host.HasExited}); stderr: {Tail(stderr)}");
            await host.StandardInput.WriteLineAsync($"[slow:{slowMs}] Say exactly: the host dies during this turn").ConfigureAwait(false);
            await host.StandardInput.FlushAsync().ConfigureAwait(false);
            // [slow:MS] streams 10 deltas MS apart: wait for the first one (the turn is then surely running).
            var running = await ChaosProcesses.WaitUntilAsync(() => { lock (stdout) return stdout.ToString().Contains("the", StringComparison.Ordinal); }, TimeSpan.FromSeconds(20), 20).ConfigureAwait(false);
            var cli = sandbox.LiveProcesses(host.Id);
            var comms = string.Join(",", cli.Select(ChaosProcesses.Comm));
            var watch = Stopwatch.StartNew();
            host.Kill(); // SIGKILL to the host process only: no CoordinatedShutdown, no PostStop
            var gone = await ChaosProcesses.WaitUntilAsync(() => sandbox.LiveProcesses(host.Id).Count == 0, TimeSpan.FromSeconds(10), 5).ConfigureAwait(false);
            var ms = watch.Elapsed.TotalMilliseconds;
            var left = gone ? 0 : sandbox.KillLeftovers();
            return new HostDeathResult(running, cli.Count, gone ? ms : double.PositiveInfinity, left, $"CLI processes at the kill: {cli.Count} ({comms})");
        }
        finally
        {
            if (!host.HasExited) host.Kill(entireProcessTree: true);
            await host.WaitForExitAsync().ConfigureAwait(false);
            await Task.WhenAll(readers).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            sandbox.KillLeftovers();
        }
    }

    private static async Task Pump(StreamReader reader, StringBuilder into)
    {
        var buffer = new char[4096];
        try
        {
            int read;
            while ((read = await reader.ReadAsync(buffer.AsMemory()).ConfigureAwait(false)) > 0)
                lock (into) into.Append(buffer, 0, read);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
        }
    }

    private static string Tail(StringBuilder text)
    {
        lock (text)
        {
            var s = text.ToString().Replace('\n', ' ');
            return s.Length > 300 ? s[^300..] : s;
        }
    }
}
