using Akka.Actor;
using ClaudeActors.Sessions;
using ClaudeActors.Supervision;

namespace ClaudeActors.Client;

/// <summary>The session supervisor for plain .NET code (from DI): start, find, terminate and list sessions by name.</summary>
public interface IClaudeSessions
{
    /// <summary>Starts a session and waits until it is ready. Throws <see cref="SessionAlreadyExistsException"/> for a taken name unless <paramref name="returnExisting"/>.</summary>
    Task<ClaudeSession> StartAsync(SessionOptions options, bool returnExisting = false, CancellationToken cancellationToken = default);

    /// <summary>The running session of that name; throws <see cref="SessionNotFoundException"/>.</summary>
    Task<ClaudeSession> GetAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Stops the session of that name (its CLI ends); throws <see cref="SessionNotFoundException"/>.</summary>
    Task TerminateAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Every session with name, session id, status, model, start time and restart count.</summary>
    Task<IReadOnlyList<SessionInfo>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>How many sessions there are, by status (in a cluster: passivated ones count as <see cref="SessionStatus.Stopped"/>).</summary>
    Task<SessionCount> CountAsync(CancellationToken cancellationToken = default);

    /// <summary>Restarts the named session's CLI, resuming its conversation; throws <see cref="SessionNotFoundException"/>.</summary>
    Task<SessionInfo> RestartAsync(string name, CancellationToken cancellationToken = default);
}

/// <summary>
/// The <see cref="IClaudeSessions"/> of one ActorSystem: the local supervisor, or — when the system runs
/// <c>WithClaudeSessionsCluster</c> — the cluster's sharded sessions, reachable by name from any node.
/// </summary>
public sealed class ClaudeSessionsClient(ActorSystem system) : IClaudeSessions
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(30);
    private IActorRef Supervisor => ClaudeSessions.Get(system).Supervisor;

    private IActorRef? Region =>
        Akka.Hosting.ActorRegistry.For(system).TryGet<Cluster.ClaudeSessionRegion>(out var region) ? region : null;

    /// <inheritdoc />
    public async Task<ClaudeSession> StartAsync(SessionOptions options, bool returnExisting = false, CancellationToken cancellationToken = default)
    {
        if (Region is { } region) return await StartShardedAsync(region, options, returnExisting, cancellationToken).ConfigureAwait(false);
        if (!returnExisting) return await ClaudeSession.StartAsync(system, options, cancellationToken).ConfigureAwait(false);
        var reply = await Supervisor.Ask<object>(new StartSession(options.EnsureValid(), ReturnExisting: true), AskTimeout, cancellationToken).ConfigureAwait(false);
        if (reply is SessionStartRejected rejected) throw rejected.Failure.ToException();
        var started = (SessionStarted)reply;
        var session = ClaudeSession.For(system, started.Name, started.Session);
        await session.WaitUntilReadyAsync(options.ControlTimeout + TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
        return session;
    }

    private async Task<ClaudeSession> StartShardedAsync(IActorRef region, SessionOptions options, bool returnExisting, CancellationToken cancellationToken)
    {
        options.EnsureValid();
        var name = options.Name ?? throw new InvalidSessionOptionsException(["a cluster session needs a name (it is the entity id)."]);
        var reply = await region.Ask<object>(new Akka.Cluster.Sharding.ShardingEnvelope(name, new Cluster.CreateSessionEntity(options, returnExisting)), AskTimeout, cancellationToken).ConfigureAwait(false);
        if (reply is Cluster.SessionEntityRejected rejected) throw rejected.Failure.ToException();
        var session = ClaudeSession.ForSharded(system, name, region, options.Timeout);
        await session.WaitUntilReadyAsync(options.ControlTimeout + TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
        return session;
    }

    /// <inheritdoc />
    public async Task<ClaudeSession> GetAsync(string name, CancellationToken cancellationToken = default)
    {
        if (Region is { } region)
        {
            var info = await region.Ask<SessionInfo>(new Akka.Cluster.Sharding.ShardingEnvelope(name, GetSessionInfo.Instance), AskTimeout, cancellationToken).ConfigureAwait(false);
            if (info.LastFailure is { Kind: FailureKind.SessionNotFound } missing) throw missing.ToException();
            return ClaudeSession.ForSharded(system, name, region);
        }
        var lookup = await Supervisor.Ask<SessionLookup>(new GetSession(name), AskTimeout, cancellationToken).ConfigureAwait(false);
        return lookup.Session is { } session
            ? ClaudeSession.For(system, name, session)
            : throw new SessionNotFoundException(new SessionFailure(FailureKind.SessionNotFound, $"No session is named '{name}'."));
    }

    /// <inheritdoc />
    public async Task TerminateAsync(string name, CancellationToken cancellationToken = default)
    {
        if (Region is { } region)
        {
            var removed = await region.Ask<object>(new Akka.Cluster.Sharding.ShardingEnvelope(name, Cluster.TerminateSessionEntity.Instance), AskTimeout, cancellationToken).ConfigureAwait(false);
            if (removed is Cluster.SessionEntityRejected refused) throw refused.Failure.ToException();
            return;
        }
        var reply = await Supervisor.Ask<object>(new TerminateSession(name), AskTimeout, cancellationToken).ConfigureAwait(false);
        if (reply is SessionStartRejected rejected) throw rejected.Failure.ToException();
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<SessionInfo>> ListAsync(CancellationToken cancellationToken = default)
    {
        if (Region is not null)
            return (await ListDirectoryAsync(cancellationToken).ConfigureAwait(false))
                .Select(e => SessionInfos.Remembered(e.Name, e.Status, e.SessionId, startedAt: e.UpdatedAt)).ToList();
        return (await Supervisor.Ask<SessionList>(ListSessions.Instance, AskTimeout, cancellationToken).ConfigureAwait(false)).Sessions;
    }

    /// <inheritdoc />
    public async Task<SessionCount> CountAsync(CancellationToken cancellationToken = default)
    {
        if (Region is null) return await Supervisor.Ask<SessionCount>(CountSessions.Instance, AskTimeout, cancellationToken).ConfigureAwait(false);
        var entries = await ListDirectoryAsync(cancellationToken).ConfigureAwait(false);
        return new SessionCount(entries.Count, entries.GroupBy(e => e.Passivated ? SessionStatus.Stopped : e.Status).ToDictionary(g => g.Key, g => g.Count()));
    }

    /// <inheritdoc />
    public async Task<SessionInfo> RestartAsync(string name, CancellationToken cancellationToken = default) =>
        await (await GetAsync(name, cancellationToken).ConfigureAwait(false)).RestartAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Cluster mode: every known session with its node, status and session id, passivated ones included, from the
    /// Distributed Data directory that the entities keep (replicated to every node, so any node can answer).
    /// </summary>
    /// <remarks>
    /// Asks every node, then a majority, then the local copy: a node that joined a moment ago has no copy yet.
    /// </remarks>
    public async Task<IReadOnlyList<Cluster.SessionDirectoryEntry>> ListDirectoryAsync(CancellationToken cancellationToken = default)
    {
        var replicator = Akka.DistributedData.DistributedData.Get(system).Replicator;
        var cluster = Akka.Cluster.Cluster.Get(system);
        // The replicator learns the members from cluster events: give it a moment to know every Up member.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(3);
        while (DateTime.UtcNow < deadline)
        {
            var replicas = await replicator.Ask<Akka.DistributedData.ReplicaCount>(Akka.DistributedData.Dsl.GetReplicaCount, AskTimeout, cancellationToken).ConfigureAwait(false);
            if (replicas.N >= cluster.State.Members.Count(m => m.Status == Akka.Cluster.MemberStatus.Up)) break;
            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
        foreach (var consistency in new Akka.DistributedData.IReadConsistency[]
                 { new Akka.DistributedData.ReadAll(TimeSpan.FromSeconds(5)), new Akka.DistributedData.ReadMajority(TimeSpan.FromSeconds(5)), Akka.DistributedData.ReadLocal.Instance })
        {
            var response = await replicator.Ask<Akka.DistributedData.IGetResponse>(
                Akka.DistributedData.Dsl.Get(Cluster.SessionDirectory.Key, consistency), AskTimeout, cancellationToken).ConfigureAwait(false);
            if (response is Akka.DistributedData.GetSuccess success)
                return success.Get(Cluster.SessionDirectory.Key).Entries.Values.OrderBy(e => e.Name, StringComparer.Ordinal).ToList();
            if (response is Akka.DistributedData.NotFound) return [];
        }
        return [];
    }
}
