using Akka.Actor;
using ClaudeActors.Supervision;

namespace ClaudeActors.Client;

/// <summary>Local mode's <see cref="IClaudeSessions"/>: the supervisor at <c>/user/claude-sessions</c>.</summary>
internal sealed class LocalSessions(ActorSystem system) : IClaudeSessions
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(30);
    private IActorRef Supervisor => ClaudeSessions.Get(system).Supervisor;

    public async Task<ClaudeSession> StartAsync(SessionOptions options, bool returnExisting = false, CancellationToken cancellationToken = default)
    {
        if (!returnExisting) return await ClaudeSession.StartAsync(system, options, cancellationToken).ConfigureAwait(false);
        var reply = await Supervisor.Ask<object>(new StartSession(Process.CliPreflight.EnsureStartable(options), ReturnExisting: true), AskTimeout, cancellationToken).ConfigureAwait(false);
        if (reply is SessionStartRejected rejected) throw rejected.Failure.ToException();
        var started = (SessionStarted)reply;
        var session = ClaudeSession.For(system, started.Name, started.Session);
        await session.WaitUntilReadyAsync(options.ControlTimeout + TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
        return session;
    }

    public async Task<ClaudeSession> GetAsync(string name, CancellationToken cancellationToken = default)
    {
        var lookup = await Supervisor.Ask<SessionLookup>(new GetSession(name), AskTimeout, cancellationToken).ConfigureAwait(false);
        return lookup.Session is { } session
            ? ClaudeSession.For(system, name, session)
            : throw new SessionNotFoundException(new SessionFailure(FailureKind.SessionNotFound, $"No session is named '{name}'."));
    }

    public async Task TerminateAsync(string name, CancellationToken cancellationToken = default)
    {
        var reply = await Supervisor.Ask<object>(new TerminateSession(name), AskTimeout, cancellationToken).ConfigureAwait(false);
        if (reply is SessionStartRejected rejected) throw rejected.Failure.ToException();
    }

    public async Task<IReadOnlyList<SessionInfo>> ListAsync(CancellationToken cancellationToken = default) =>
        (await Supervisor.Ask<SessionList>(ListSessions.Instance, AskTimeout, cancellationToken).ConfigureAwait(false)).Sessions;

    public async Task<IReadOnlyList<SessionDirectoryEntry>> ListDirectoryAsync(CancellationToken cancellationToken = default)
    {
        var node = ((ExtendedActorSystem)system).Provider.DefaultAddress.ToString();
        return (await ListAsync(cancellationToken).ConfigureAwait(false))
            .Select(i => new SessionDirectoryEntry(i.Name, node, i.Status, i.SessionId, Passivated: false, i.StartedAt, i.Model))
            .OrderBy(e => e.Name, StringComparer.Ordinal).ToList();
    }

    public Task<SessionCount> CountAsync(CancellationToken cancellationToken = default) =>
        Supervisor.Ask<SessionCount>(CountSessions.Instance, AskTimeout, cancellationToken);

    public async Task<SessionInfo> RestartAsync(string name, CancellationToken cancellationToken = default) =>
        await (await GetAsync(name, cancellationToken).ConfigureAwait(false)).RestartAsync(cancellationToken).ConfigureAwait(false);

    public async Task<History.Conversation> ReadConversationAsync(string sessionId, CancellationToken cancellationToken = default) =>
        await ReadThroughSessionAsync(this, sessionId, cancellationToken).ConfigureAwait(false)
        ?? await ClaudeSession.ReadConversationAsync(sessionId, cancellationToken: cancellationToken).ConfigureAwait(false);

    /// <summary>The conversation read by the session that has this id (it knows where its CLI writes), or null when none has.</summary>
    internal static async Task<History.Conversation?> ReadThroughSessionAsync(IClaudeSessions sessions, string sessionId, CancellationToken cancellationToken)
    {
        if (!SessionIds.IsValid(sessionId))
            throw new InvalidSessionRequestException(new SessionFailure(FailureKind.InvalidRequest, "The session id must be a UUID."));
        var owner = (await sessions.ListDirectoryAsync(cancellationToken).ConfigureAwait(false))
            .FirstOrDefault(e => string.Equals(e.SessionId, sessionId, StringComparison.OrdinalIgnoreCase));
        if (owner is null) return null;
        var session = await sessions.GetAsync(owner.Name, cancellationToken).ConfigureAwait(false);
        return await session.GetConversationAsync(cancellationToken).ConfigureAwait(false);
    }
}
