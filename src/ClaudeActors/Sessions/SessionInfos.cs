namespace ClaudeActors.Sessions;

/// <summary>
/// The snapshots of a session told without a live session actor to ask (it has stopped, failed to answer, or runs on
/// another node): what its owner remembers, with no process, no queue and no restart count.
/// </summary>
internal static class SessionInfos
{
    /// <summary>A session with no CLI running: <see cref="SessionStatus.Stopped"/>.</summary>
    public static SessionInfo Stopped(string name, string? sessionId = null, string? model = null, SessionFailure? failure = null) =>
        Remembered(name, SessionStatus.Stopped, sessionId, model, failure: failure);

    /// <summary>A session in the status its owner last heard of.</summary>
    public static SessionInfo Remembered(string name, SessionStatus status, string? sessionId = null, string? model = null,
        DateTimeOffset startedAt = default, SessionFailure? failure = null) =>
        new(name, sessionId, status, model, startedAt, RestartCount: 0, QueuedQueries: 0, CliProcessId: null, LastFailure: failure);
}
