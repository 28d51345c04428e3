using Akka.Actor;
using ClaudeActors.Client;
using ClaudeActors.Sessions;
using ClaudeActors.Supervision;
using ClaudeActors.Testing;

namespace ClaudeActors.Tests.AI;

/// <summary>
/// <see cref="IClaudeSessions"/> over <see cref="StubSession"/>s: what the AI layer asks of the sessions (start with
/// which options, get by name, terminate), answered without a CLI. Stands for one host: a new instance is a new host
/// that runs none of the old one's sessions.
/// </summary>
internal sealed class StubSessions(ActorSystem system, Func<string, StubScript>? scripts = null) : IClaudeSessions
{
    private readonly Dictionary<string, ClaudeSession> _running = new();
    private readonly Dictionary<string, StubScript> _scripts = new();
    private readonly List<SessionOptions> _started = new();
    private readonly List<string> _terminated = new();

    public IReadOnlyList<SessionOptions> Started { get { lock (_running) return _started.ToArray(); } }

    public IReadOnlyList<string> Terminated { get { lock (_running) return _terminated.ToArray(); } }

    public StubScript Script(string name) { lock (_running) return _scripts[name]; }

    public Task<ClaudeSession> StartAsync(SessionOptions options, bool returnExisting = false, CancellationToken cancellationToken = default)
    {
        var name = options.EnsureValid().Name ?? throw new InvalidOperationException("The stub sessions need names.");
        lock (_running)
        {
            if (_running.TryGetValue(name, out var existing))
                return returnExisting
                    ? Task.FromResult(existing)
                    : throw new SessionAlreadyExistsException(new SessionFailure(FailureKind.SessionAlreadyExists, $"'{name}' runs already."));
            var script = scripts?.Invoke(name) ?? new StubScript();
            if (options.Resume is { } resume) script = new StubScript { SessionId = resume };
            _scripts[name] = script;
            _started.Add(options);
            // A fresh actor name per start: several "hosts" share the test's ActorSystem.
            var actor = system.ActorOf(StubSession.Props(script, name), "stub-" + Guid.NewGuid().ToString("N"));
            return Task.FromResult(_running[name] = ClaudeSession.For(system, name, actor));
        }
    }

    public Task<ClaudeSession> GetAsync(string name, CancellationToken cancellationToken = default)
    {
        lock (_running)
            return _running.TryGetValue(name, out var session)
                ? Task.FromResult(session)
                : throw new SessionNotFoundException(new SessionFailure(FailureKind.SessionNotFound, $"No session is named '{name}'."));
    }

    public Task TerminateAsync(string name, CancellationToken cancellationToken = default)
    {
        lock (_running)
        {
            if (!_running.Remove(name, out var session))
                throw new SessionNotFoundException(new SessionFailure(FailureKind.SessionNotFound, $"No session is named '{name}'."));
            _terminated.Add(name);
            session.Actor.Tell(StopSession.Instance);
        }
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<SessionInfo>> ListAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<IReadOnlyList<SessionDirectoryEntry>> ListDirectoryAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<ClaudeActors.History.Conversation> ReadConversationAsync(string sessionId, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<SessionCount> CountAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<SessionInfo> RestartAsync(string name, CancellationToken cancellationToken = default) => throw new NotSupportedException();
}
