using Akka.Actor;

namespace ClaudeActors.Client;

/// <summary>
/// The <see cref="IClaudeSessions"/> of one ActorSystem: the local supervisor, or — once the system runs
/// <c>WithClaudeSessionsCluster</c> (package ClaudeActors.Cluster) — the cluster's sharded sessions, reachable by
/// name from any node. The mode is looked up on each call, so a client made before the cluster module started
/// still reaches the cluster.
/// </summary>
public sealed class ClaudeSessionsClient(ActorSystem system) : IClaudeSessions
{
    private IClaudeSessions Sessions => SessionsBackend.Get(system).Current;

    /// <inheritdoc />
    public Task<ClaudeSession> StartAsync(SessionOptions options, bool returnExisting = false, CancellationToken cancellationToken = default) =>
        Sessions.StartAsync(options, returnExisting, cancellationToken);

    /// <inheritdoc />
    public Task<ClaudeSession> GetAsync(string name, CancellationToken cancellationToken = default) => Sessions.GetAsync(name, cancellationToken);

    /// <inheritdoc />
    public Task TerminateAsync(string name, CancellationToken cancellationToken = default) => Sessions.TerminateAsync(name, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<SessionInfo>> ListAsync(CancellationToken cancellationToken = default) => Sessions.ListAsync(cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<SessionDirectoryEntry>> ListDirectoryAsync(CancellationToken cancellationToken = default) =>
        Sessions.ListDirectoryAsync(cancellationToken);

    /// <inheritdoc />
    public Task<SessionCount> CountAsync(CancellationToken cancellationToken = default) => Sessions.CountAsync(cancellationToken);

    /// <inheritdoc />
    public Task<SessionInfo> RestartAsync(string name, CancellationToken cancellationToken = default) => Sessions.RestartAsync(name, cancellationToken);

    /// <inheritdoc />
    public Task<History.Conversation> ReadConversationAsync(string sessionId, CancellationToken cancellationToken = default) =>
        Sessions.ReadConversationAsync(sessionId, cancellationToken);
}

/// <summary>
/// Which <see cref="IClaudeSessions"/> an ActorSystem's clients use: the local supervisor unless a module (the
/// cluster's) installed its own at start-up. An extension, so the choice is per system and needs no DI.
/// </summary>
internal sealed class SessionsBackend : IExtension
{
    private readonly Lazy<IClaudeSessions> _local;
    private volatile IClaudeSessions? _installed;

    private SessionsBackend(ActorSystem system) => _local = new Lazy<IClaudeSessions>(() => new LocalSessions(system));

    public IClaudeSessions Current => _installed ?? _local.Value;

    /// <summary>True once a module replaced the local sessions (cluster mode).</summary>
    public bool IsInstalled => _installed is not null;

    public void Install(IClaudeSessions sessions) => _installed = sessions;

    public static SessionsBackend Get(ActorSystem system) => system.WithExtension<SessionsBackend, Provider>();

    internal sealed class Provider : ExtensionIdProvider<SessionsBackend>
    {
        public override SessionsBackend CreateExtension(ExtendedActorSystem system) => new(system);
    }
}
