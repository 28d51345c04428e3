using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace ClaudeActors.Process;

/// <summary>
/// Starts CLI processes so that none outlives the host, even when the host is SIGKILLed. On Linux each child
/// is started through <c>setpriv --pdeathsig KILL</c> (the kernel kills it when the host dies) and
/// <c>setsid</c> (it leads its own process group, so the whole group can be killed at once).
/// </summary>
/// <remarks>
/// The kernel sends the parent-death signal when the <em>thread</em> that forked the child exits, not the
/// process. Thread-pool threads retire when idle, so every start runs on one dedicated thread that lives as
/// long as the host.
/// </remarks>
internal static class ProcessLauncher
{
    private const string SetPriv = "/usr/bin/setpriv";
    private const string SetSid = "/usr/bin/setsid";

    private static readonly BlockingCollection<(ProcessStartInfo Info, TaskCompletionSource<System.Diagnostics.Process> Done)> Queue = new();
    private static readonly Lazy<Thread> LauncherThread = new(() =>
    {
        var thread = new Thread(Run) { IsBackground = true, Name = "claude-cli-launcher" };
        thread.Start();
        return thread;
    });

    /// <summary>True when children are tied to the host's life by the kernel (Linux with setpriv and setsid).</summary>
    public static bool IsolatesChildren { get; } =
        OperatingSystem.IsLinux() && File.Exists(SetPriv) && File.Exists(SetSid);

    public static Task<System.Diagnostics.Process> StartAsync(CliLaunchSpec spec)
    {
        var info = new ProcessStartInfo
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = spec.WorkingDirectory,
            StandardOutputEncoding = null,
        };
        if (IsolatesChildren)
        {
            info.FileName = SetPriv;
            foreach (var arg in new[] { "--pdeathsig", "KILL", "--", SetSid, spec.FileName }) info.ArgumentList.Add(arg);
        }
        else
        {
            info.FileName = spec.FileName;
        }
        foreach (var arg in spec.Arguments) info.ArgumentList.Add(arg);
        foreach (var (key, value) in spec.Environment) info.Environment[key] = value;

        var done = new TaskCompletionSource<System.Diagnostics.Process>(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = LauncherThread.Value;
        Queue.Add((info, done));
        return done.Task;
    }

    private static void Run()
    {
        foreach (var (info, done) in Queue.GetConsumingEnumerable())
        {
            try
            {
                var process = System.Diagnostics.Process.Start(info) ?? throw new InvalidOperationException("Process.Start returned null.");
                done.SetResult(process);
            }
            catch (Exception ex)
            {
                done.SetException(ex);
            }
        }
    }

    /// <summary>Sends SIGTERM to the CLI (its process group when isolated).</summary>
    public static void Terminate(System.Diagnostics.Process process) => Signal(process, Sigterm);

    /// <summary>Kills the CLI and everything it started: the process group first, then the tree as the OS sees it.</summary>
    public static void KillTree(System.Diagnostics.Process process)
    {
        Signal(process, Sigkill);
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Exited between the check and the kill.
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // Already gone.
        }
    }

    private const int Sigkill = 9;
    private const int Sigterm = 15;

    private static void Signal(System.Diagnostics.Process process, int signal)
    {
        if (OperatingSystem.IsWindows()) return;
        int pid;
        try
        {
            if (process.HasExited) return;
            pid = process.Id;
        }
        catch (InvalidOperationException)
        {
            return;
        }
        // setsid made the CLI the leader of a group whose id is its pid: signal the group, then the process.
        if (IsolatesChildren) _ = SysKill(-pid, signal);
        _ = SysKill(pid, signal);
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SysKill(int pid, int sig);
}
