namespace ClaudeActors.Client;

/// <summary>
/// The sessions of one ActorSystem for plain .NET code (from DI, see <c>AddClaudeSessionsClient</c>): start, find,
/// terminate, restart and list sessions by name. The same calls work locally (the supervisor at
/// <c>/user/claude-sessions</c>) and, with the ClaudeActors.Cluster package, cluster-wide (named sessions as sharded
/// entities, reachable from any node).
/// </summary>
public interface IClaudeSessions
{
    /// <summary>Starts a session and waits until it is ready. Throws <see cref="SessionAlreadyExistsException"/> for a taken name unless <paramref name="returnExisting"/>.</summary>
    Task<ClaudeSession> StartAsync(SessionOptions options, bool returnExisting = false, CancellationToken cancellationToken = default);

    /// <summary>The session of that name; throws <see cref="SessionNotFoundException"/>.</summary>
    Task<ClaudeSession> GetAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Stops the session of that name (its CLI ends; in a cluster its journal is deleted too); throws <see cref="SessionNotFoundException"/>.</summary>
    Task TerminateAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Every session with name, session id, status, model, start time and restart count.</summary>
    Task<IReadOnlyList<SessionInfo>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Every known session with the node that hosts it, its status and session id — in a cluster passivated ones
    /// included, from the Distributed Data directory every node replicates; locally, the supervisor's sessions.
    /// </summary>
    Task<IReadOnlyList<SessionDirectoryEntry>> ListDirectoryAsync(CancellationToken cancellationToken = default);

    /// <summary>How many sessions there are, by status (in a cluster: passivated ones count as <see cref="SessionStatus.Stopped"/>).</summary>
    Task<SessionCount> CountAsync(CancellationToken cancellationToken = default);

    /// <summary>Restarts the named session's CLI, resuming its conversation; throws <see cref="SessionNotFoundException"/>.</summary>
    Task<SessionInfo> RestartAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>
    /// A stored conversation by session id. A session of this system (or, in a cluster, of the directory) with that id
    /// reads it where its own CLI writes it — its <c>CLAUDE_CONFIG_DIR</c> and working directory included; any other id
    /// is looked up under this process's config dir, as <see cref="ClaudeSession.ReadConversationAsync"/> does.
    /// Throws <see cref="InvalidSessionRequestException"/> for an id that is not a UUID.
    /// </summary>
    Task<History.Conversation> ReadConversationAsync(string sessionId, CancellationToken cancellationToken = default);
}
