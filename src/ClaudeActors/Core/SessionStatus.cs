namespace ClaudeActors.Core;

/// <summary>Where a session is in its life.</summary>
public enum SessionStatus
{
    /// <summary>The CLI is starting and the initialize handshake runs.</summary>
    Initializing,
    /// <summary>Idle, ready for a query.</summary>
    Ready,
    /// <summary>A query runs.</summary>
    Busy,
    /// <summary>The CLI died; a new one starts after a backoff, resuming the conversation.</summary>
    Restarting,
    /// <summary>Shutting down.</summary>
    Stopping,
    /// <summary>Stopped.</summary>
    Stopped,
    /// <summary>Cannot go on (CLI missing, start failed, restart limit reached).</summary>
    Failed,
    /// <summary>
    /// Alive without a CLI: its idle CLI was given up for the node's memory budget, or the node had no room to start
    /// one. The next query (or control request) starts a CLI that resumes the conversation.
    /// </summary>
    Passivated,
}

/// <summary>A snapshot of a session.</summary>
/// <param name="Name">The session's name.</param>
/// <param name="SessionId">The conversation's id, when known.</param>
/// <param name="Status">Where it is.</param>
/// <param name="Model">The model of the last turn (or the configured one).</param>
/// <param name="StartedAt">When the session actor started.</param>
/// <param name="RestartCount">How many times its CLI was restarted after a crash.</param>
/// <param name="QueuedQueries">Queries waiting behind the running one.</param>
/// <param name="CliProcessId">The CLI's process id, while one runs.</param>
/// <param name="LastFailure">The last failure, if any.</param>
public sealed record SessionInfo(
    string Name,
    string? SessionId,
    SessionStatus Status,
    string? Model,
    DateTimeOffset StartedAt,
    int RestartCount,
    int QueuedQueries,
    int? CliProcessId,
    SessionFailure? LastFailure) : IClaudeActorsMessage
{
    /// <summary>
    /// What the CLI costs now: the proportional set size of its process tree (the CLI and what it started), read from
    /// the kernel after each turn and every few seconds (never while answering <c>GetSessionInfo</c>); null with no CLI,
    /// before the first measurement, or off Linux.
    /// </summary>
    public ByteSize? CliMemory { get; init; }

    /// <summary>The CLI's memory limit (<see cref="SessionOptions.CliMemoryLimit"/>), if any.</summary>
    public ByteSize? CliMemoryLimit { get; init; }

    /// <summary>How many times the session's CLI was replaced for memory (over its limit between turns, or its hard ceiling).</summary>
    public int RecycleCount { get; init; }
}

/// <summary>How many sessions there are, and how many in each status.</summary>
/// <param name="Total">Every session.</param>
/// <param name="ByStatus">The sessions in each status (statuses with none are left out).</param>
public sealed record SessionCount(int Total, IReadOnlyDictionary<SessionStatus, int> ByStatus);
