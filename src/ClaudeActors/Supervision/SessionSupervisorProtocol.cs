using Akka.Actor;
using ClaudeActors.Sessions;

namespace ClaudeActors.Supervision;

/// <summary>Start a session under the supervisor. Replies <see cref="SessionStarted"/> or <see cref="SessionStartRejected"/>.</summary>
/// <param name="Options">Its options; <see cref="SessionOptions.Name"/> names it (a name is generated when null).</param>
/// <param name="ReturnExisting">When a session of that name exists: true returns it, false rejects the start.</param>
public sealed record StartSession(SessionOptions Options, bool ReturnExisting = false);

/// <summary>The session exists (it may still be initializing; send it <see cref="AwaitReady"/>).</summary>
/// <param name="Name">Its name.</param>
/// <param name="Session">Its actor.</param>
/// <param name="Existed">True when it was already running.</param>
public sealed record SessionStarted(string Name, IActorRef Session, bool Existed);

/// <summary>The start was refused (invalid options, a taken name).</summary>
/// <param name="Failure">Why.</param>
public sealed record SessionStartRejected(SessionFailure Failure);

/// <summary>Stop a session by name (its CLI ends). Replies <see cref="SessionTerminated"/> once it has stopped, or <see cref="SessionStartRejected"/> with <see cref="FailureKind.SessionNotFound"/>.</summary>
/// <param name="Name">The session's name.</param>
public sealed record TerminateSession(string Name);

/// <summary>The session has stopped and its CLI process has ended.</summary>
/// <param name="Name">Its name.</param>
public sealed record SessionTerminated(string Name);

/// <summary>Look a session up by name. Replies <see cref="SessionLookup"/>.</summary>
/// <param name="Name">The session's name.</param>
public sealed record GetSession(string Name);

/// <summary>The session of that name, or null.</summary>
/// <param name="Name">The name asked for.</param>
/// <param name="Session">Its actor, or null when there is none.</param>
public sealed record SessionLookup(string Name, IActorRef? Session);

/// <summary>List every session of the supervisor. Replies <see cref="SessionList"/>.</summary>
public sealed record ListSessions
{
    /// <summary>The single instance.</summary>
    public static readonly ListSessions Instance = new();
}

/// <summary>Every session with its state, sorted by name.</summary>
/// <param name="Sessions">The sessions.</param>
public sealed record SessionList(IReadOnlyList<SessionInfo> Sessions);

/// <summary>Count the supervisor's sessions by status. Replies <see cref="SessionCount"/>.</summary>
public sealed record CountSessions
{
    /// <summary>The single instance.</summary>
    public static readonly CountSessions Instance = new();
}

/// <summary>Stop every session (used by CoordinatedShutdown). Replies <see cref="AllSessionsStopped"/> once all have stopped.</summary>
public sealed record StopAllSessions
{
    /// <summary>The single instance.</summary>
    public static readonly StopAllSessions Instance = new();
}

/// <summary>Every session has stopped and every CLI process has ended.</summary>
public sealed record AllSessionsStopped
{
    /// <summary>The single instance.</summary>
    public static readonly AllSessionsStopped Instance = new();
}

/// <summary>The memory budget of the supervisor's CLIs, from <see cref="ClaudeSessionsOptions.MemoryBudget"/> and the start-queue options (sent by <c>WithClaudeSessions</c>).</summary>
/// <param name="Options">The options holding the budget.</param>
internal sealed record ConfigureBudget(ClaudeSessionsOptions Options);
