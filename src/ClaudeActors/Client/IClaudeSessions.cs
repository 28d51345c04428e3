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
}

/// <summary>The <see cref="IClaudeSessions"/> of one ActorSystem.</summary>
public sealed class ClaudeSessionsClient(ActorSystem system) : IClaudeSessions
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(30);
    private IActorRef Supervisor => ClaudeSessions.Get(system).Supervisor;

    /// <inheritdoc />
    public async Task<ClaudeSession> StartAsync(SessionOptions options, bool returnExisting = false, CancellationToken cancellationToken = default)
    {
        if (!returnExisting) return await ClaudeSession.StartAsync(system, options, cancellationToken).ConfigureAwait(false);
        var reply = await Supervisor.Ask<object>(new StartSession(options.EnsureValid(), ReturnExisting: true), AskTimeout, cancellationToken).ConfigureAwait(false);
        if (reply is SessionStartRejected rejected) throw rejected.Failure.ToException();
        var started = (SessionStarted)reply;
        var session = ClaudeSession.For(system, started.Name, started.Session);
        await session.WaitUntilReadyAsync(options.ControlTimeout + TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
        return session;
    }

    /// <inheritdoc />
    public async Task<ClaudeSession> GetAsync(string name, CancellationToken cancellationToken = default)
    {
        var lookup = await Supervisor.Ask<SessionLookup>(new GetSession(name), AskTimeout, cancellationToken).ConfigureAwait(false);
        return lookup.Session is { } session
            ? ClaudeSession.For(system, name, session)
            : throw new SessionNotFoundException(new SessionFailure(FailureKind.SessionNotFound, $"No session is named '{name}'."));
    }

    /// <inheritdoc />
    public async Task TerminateAsync(string name, CancellationToken cancellationToken = default)
    {
        var reply = await Supervisor.Ask<object>(new TerminateSession(name), AskTimeout, cancellationToken).ConfigureAwait(false);
        if (reply is SessionStartRejected rejected) throw rejected.Failure.ToException();
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<SessionInfo>> ListAsync(CancellationToken cancellationToken = default) =>
        (await Supervisor.Ask<SessionList>(ListSessions.Instance, AskTimeout, cancellationToken).ConfigureAwait(false)).Sessions;
}
