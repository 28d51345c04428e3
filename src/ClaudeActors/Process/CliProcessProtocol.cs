using ClaudeActors.Protocol;

namespace ClaudeActors.Process;

// Messages between a SessionActor and its CliProcessActor. Local only: they never cross a node or enter a journal.

/// <summary>Write one frame (a serialised JSON line ending in <c>\n</c>) to the CLI's stdin.</summary>
internal sealed record SendFrame(byte[] Frame);

/// <summary>Stop the CLI in stages: close stdin (it flushes its transcript and exits), SIGTERM after <paramref name="Grace"/>, then kill.</summary>
internal sealed record ShutdownCli(TimeSpan Grace);

/// <summary>Stop reading stdout (backpressure reaches the CLI through the pipe) / read again.</summary>
internal sealed record PauseCliOutput(bool Paused);

/// <summary>The process is running.</summary>
internal sealed record CliStarted(int ProcessId);

/// <summary>One parsed stdout line.</summary>
internal sealed record CliOutput(ClaudeMessage Message);

/// <summary>A stdout line that was not a protocol message; it was skipped.</summary>
internal sealed record CliMalformedLine(string Reason, long Length, string Preview, bool Oversized = false);

/// <summary>The process ended after <see cref="ShutdownCli"/>; the actor stops next.</summary>
internal sealed record CliStopped(int? ExitCode);

/// <summary>A failure of one CliProcessActor; <see cref="ActorName"/> tells the supervising session which child it was.</summary>
internal abstract class CliProcessException(string actorName, string message, Exception? inner = null) : Exception(message, inner)
{
    public string ActorName { get; } = actorName;
}

/// <summary>The CLI process exited (or was killed) while the session still needed it.</summary>
internal sealed class CliProcessExitedException(string actorName, int? exitCode, string stderrTail)
    : CliProcessException(actorName, $"The claude CLI exited unexpectedly (exit code {exitCode?.ToString() ?? "unknown"}).")
{
    public int? ExitCode { get; } = exitCode;
    public string StderrTail { get; } = stderrTail;
}

/// <summary>The CLI process could not be started at all.</summary>
internal sealed class CliProcessStartException(string actorName, string message, Exception? inner = null)
    : CliProcessException(actorName, message, inner);
