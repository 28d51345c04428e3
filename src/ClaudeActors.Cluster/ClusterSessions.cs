using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Cluster.Sharding;
using ClaudeActors.Client;
using ClaudeActors.Sessions;

namespace ClaudeActors.Cluster;

/// <summary>
/// Cluster mode's <see cref="IClaudeSessions"/>, installed by <c>WithClaudeSessionsCluster</c> so every
/// <see cref="ClaudeSessionsClient"/> of the system reaches named sessions through the shard region (or its proxy),
/// wherever they live. The handles it gives out address a session through a <see cref="SessionForwarder"/> of this
/// node, one per name.
/// </summary>
internal sealed class ClusterSessions(ActorSystem system, IActorRef region) : IClaudeSessions
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(30);
    private readonly ConcurrentDictionary<string, Lazy<IActorRef>> _forwarders = new(StringComparer.Ordinal);

    /// <summary>The named session's handle; no message is sent (the entity starts on the first one that needs it).</summary>
    public ClaudeSession Handle(string name, TimeSpan? queryTimeout = null)
    {
        var forwarder = _forwarders.GetOrAdd(name, n => new Lazy<IActorRef>(() => system.ActorOf(SessionForwarder.Props(region, n)))).Value;
        return new ClaudeSession(system, name, forwarder, local: false, queryTimeout);
    }

    public async Task<ClaudeSession> StartAsync(SessionOptions options, bool returnExisting = false, CancellationToken cancellationToken = default)
    {
        options.EnsureValid();
        var name = options.Name ?? throw new InvalidSessionOptionsException(["A cluster session needs a Name (it is the entity id)."]);
        var reply = await region.Ask<object>(new ShardingEnvelope(name, new CreateSessionEntity(options, returnExisting)), AskTimeout, cancellationToken).ConfigureAwait(false);
        if (reply is SessionEntityRejected rejected) throw rejected.Failure.ToException();
        var session = Handle(name, options.Timeout);
        await session.WaitUntilReadyAsync(options.ControlTimeout + TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
        return session;
    }

    public async Task<ClaudeSession> GetAsync(string name, CancellationToken cancellationToken = default)
    {
        var info = await region.Ask<SessionInfo>(new ShardingEnvelope(name, GetSessionInfo.Instance), AskTimeout, cancellationToken).ConfigureAwait(false);
        if (info.LastFailure is { Kind: FailureKind.SessionNotFound } missing) throw missing.ToException();
        return Handle(name);
    }

    public async Task TerminateAsync(string name, CancellationToken cancellationToken = default)
    {
        var removed = await region.Ask<object>(new ShardingEnvelope(name, TerminateSessionEntity.Instance), AskTimeout, cancellationToken).ConfigureAwait(false);
        if (removed is SessionEntityRejected refused) throw refused.Failure.ToException();
    }

    public async Task<IReadOnlyList<SessionInfo>> ListAsync(CancellationToken cancellationToken = default) =>
        (await ListDirectoryAsync(cancellationToken).ConfigureAwait(false))
            .Select(e => SessionInfos.Remembered(e.Name, e.Status, e.SessionId, e.Model, startedAt: e.UpdatedAt)).ToList();

    public Task<IReadOnlyList<SessionDirectoryEntry>> ListDirectoryAsync(CancellationToken cancellationToken = default) =>
        SessionDirectory.ListAsync(system, cancellationToken);

    public async Task<SessionCount> CountAsync(CancellationToken cancellationToken = default)
    {
        var entries = await ListDirectoryAsync(cancellationToken).ConfigureAwait(false);
        return new SessionCount(entries.Count, entries.GroupBy(e => e.Passivated ? SessionStatus.Stopped : e.Status).ToDictionary(g => g.Key, g => g.Count()));
    }

    public async Task<SessionInfo> RestartAsync(string name, CancellationToken cancellationToken = default) =>
        await (await GetAsync(name, cancellationToken).ConfigureAwait(false)).RestartAsync(cancellationToken).ConfigureAwait(false);

    // A session of the directory reads its own transcript on the node that hosts it (a passivated one is woken for it).
    public async Task<History.Conversation> ReadConversationAsync(string sessionId, CancellationToken cancellationToken = default) =>
        await LocalSessions.ReadThroughSessionAsync(this, sessionId, cancellationToken).ConfigureAwait(false)
        ?? await ClaudeSession.ReadConversationAsync(sessionId, cancellationToken: cancellationToken).ConfigureAwait(false);
}
