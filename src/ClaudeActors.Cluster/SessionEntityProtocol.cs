using ClaudeActors.Sessions;

namespace ClaudeActors.Cluster;

/// <summary>Create the named session entity (cluster mode). Replies <see cref="SessionEntityCreated"/> or <see cref="SessionEntityRejected"/>.</summary>
/// <param name="Options">The session's options; its name is the entity id.</param>
/// <param name="ReturnExisting">Accept an existing session of that name instead of rejecting the start.</param>
internal sealed record CreateSessionEntity(SessionOptions Options, bool ReturnExisting = false) : IClaudeActorsMessage;

/// <summary>The entity exists and its session is starting (send <see cref="AwaitReady"/> to wait for it).</summary>
/// <param name="Name">The session's name.</param>
/// <param name="Existed">True when it existed already.</param>
internal sealed record SessionEntityCreated(string Name, bool Existed) : IClaudeActorsMessage;

/// <summary>The entity refused the command.</summary>
/// <param name="Failure">Why.</param>
internal sealed record SessionEntityRejected(SessionFailure Failure) : IClaudeActorsMessage;

/// <summary>Remove the session cluster-wide: its CLI stops and its journal is deleted. Replies <see cref="SessionEntityTerminated"/>.</summary>
internal sealed record TerminateSessionEntity : IClaudeActorsMessage
{
    /// <summary>The single instance.</summary>
    public static readonly TerminateSessionEntity Instance = new();
}

/// <summary>The session is gone; starting the same name again begins a new conversation.</summary>
/// <param name="Name">Its name.</param>
internal sealed record SessionEntityTerminated(string Name) : IClaudeActorsMessage;

/// <summary>Passivate the entity only if nothing woke its session meanwhile (it has no CLI): sent after a directory probe.</summary>
internal sealed record PassivateIfUnused : IClaudeActorsMessage
{
    public static readonly PassivateIfUnused Instance = new();
}

/// <summary>Stop the entity's CLI and passivate it; the next message brings it back (used for idle and cap passivation and hand-off).</summary>
internal sealed record PassivateSessionEntity : IClaudeActorsMessage
{
    /// <summary>The single instance.</summary>
    public static readonly PassivateSessionEntity Instance = new();
}

// Persisted events and snapshot. No secrets: the options are stored without their environment and callbacks.

internal sealed record SessionCreatedEvent(SessionOptions Options) : IClaudeActorsMessage;

internal sealed record SessionIdRecordedEvent(string SessionId) : IClaudeActorsMessage;

internal sealed record TranscriptAppendedEvent(string SessionId, long Offset, string Text) : IClaudeActorsMessage;

internal sealed record SessionEntitySnapshot(SessionOptions Options, string? SessionId, bool ConversationPersisted, string Transcript) : IClaudeActorsMessage;
