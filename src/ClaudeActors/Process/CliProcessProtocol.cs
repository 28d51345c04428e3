using ClaudeActors.Protocol;

namespace ClaudeActors.Process;

// Messages between a SessionActor and its CliProcessActor. Local only: they never cross a node or enter a journal.

/// <summary>Write one frame (a serialised JSON line ending in <c>\n</c>) to the CLI's stdin.</summary>
internal sealed record SendFrame(byte[] Frame);

/// <summary>Stop the CLI in stages: close stdin (it flushes its transcript and exits), SIGTERM after <paramref name="Grace"/>, then kill.</summary>
internal sealed record ShutdownCli(TimeSpan Grace);

/// <summary>Stop reading stdout (backpressure reaches the CLI through the pipe) / read again.</summary>
internal sealed record PauseCliOutput(bool Paused);

/// <summary>
/// A warm pool hands its running, initialized CLI to a session: from now on every line and end goes to
/// <paramref name="Owner"/>, and the CLI stops (killing its process tree) when the owner stops.
/// </summary>
internal sealed record AdoptCli(Akka.Actor.IActorRef Owner, string SessionName, string SessionId);

/// <summary>The process is running.</summary>
internal sealed record CliStarted(int ProcessId);

/// <summary>One parsed stdout line.</summary>
internal sealed record CliOutput(ClaudeMessage Message);

/// <summary>A stdout line that was not a protocol message; it was skipped.</summary>
internal sealed record CliMalformedLine(string Reason, long Length, string Preview, bool Oversized = false);

/// <summary>
/// The CLI's end, told to the parent when the process goes without having been asked to (<see cref="ShutdownCli"/>);
/// the actor stops itself right after. An asked-for stop says nothing: the parent watches for its Terminated.
/// </summary>
internal abstract record CliEnded;

/// <summary>The process exited (or was killed after its stdout closed) while the session still needed it.</summary>
/// <param name="ExitCode">Its exit code, when the OS reported one.</param>
/// <param name="StderrTail">The last lines of its stderr, secrets redacted.</param>
internal sealed record CliExited(int? ExitCode, string StderrTail) : CliEnded;

/// <summary>The process could not be started at all.</summary>
/// <param name="Reason">Why, in one line.</param>
internal sealed record CliStartFailed(string Reason) : CliEnded;
