using Akka.Actor;
using Akka.Event;
using ClaudeActors.Logging;
using ClaudeActors.Process;
using ClaudeActors.Sessions;

namespace ClaudeActors.Supervision;

/// <summary>
/// The parent of every local session, like <c>ClaudeCode.Supervisor</c>: starts, terminates, looks up and lists
/// sessions by name. A session that throws is restarted in place (one-for-one; its memory resumes the conversation),
/// at most <see cref="RestartPolicy.MaxRestarts"/> times within the default policy's window, then stopped and reported;
/// CLI crashes are handled inside the session, which restarts its CLI within its own <see cref="RestartPolicy"/>.
/// </summary>
internal sealed class SessionSupervisor : ReceiveActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<string, IActorRef> _sessions = new(StringComparer.Ordinal);
    // The last status each session published: counting needs no round trip to every session.
    private readonly Dictionary<string, SessionStatus> _statuses = new(StringComparer.Ordinal);
    private readonly Dictionary<IActorRef, List<(string Name, IActorRef ReplyTo)>> _terminating = new();
    private IActorRef? _warmPool;
    // The CLI budget of this supervisor's sessions: unlimited until WithClaudeSessions configures it.
    private readonly IActorRef _budget;

    public SessionSupervisor()
    {
        _budget = Context.ActorOf(Process.CliBudgetActor.Props(Process.CliBudgetSettings.Unlimited), "cli-budget");
        Receive<ConfigureBudget>(c => _budget.Tell(new Process.CliBudgetActor.Configure(
            Process.CliBudgetSettings.From(c.Options, c.Options.MemoryBudget, int.MaxValue), c.Options.MemorySampleInterval)));
        Receive<Process.CliBudgetActor.GetStatus>(get => _budget.Forward(get));
        Receive<StartSession>(Start);
        // The pool is a child: its CLIs, idle or taken, end with the supervisor.
        Receive<StartWarmPool>(start =>
        {
            _warmPool ??= Context.ActorOf(WarmPool.UnderBudget(start.Profiles, _budget), WarmPool.ActorName);
            if (!Sender.IsNobody()) Sender.Tell(_warmPool);
        });
        Receive<TerminateSession>(Terminate);
        Receive<GetSession>(get => Sender.Tell(new SessionLookup(get.Name, _sessions.GetValueOrDefault(get.Name))));
        // Collected off the supervisor's thread: a slow session delays the list, never a start or a stop.
        Receive<ListSessions>(_ => Task.WhenAll(_sessions.Select(kv => InfoOf(kv.Key, kv.Value)))
            .PipeTo(Sender, success: infos => new SessionList(infos.OrderBy(i => i.Name, StringComparer.Ordinal).ToList())));
        Receive<CountSessions>(_ => Sender.Tell(new SessionCount(_sessions.Count, _sessions.Keys
            .GroupBy(name => _statuses.GetValueOrDefault(name, SessionStatus.Initializing))
            .ToDictionary(g => g.Key, g => g.Count()))));
        Receive<Terminated>(OnTerminated);
        Receive<SessionStatusChanged>(changed =>
        {
            if (_sessions.TryGetValue(changed.Name, out var session) && session.Equals(Sender)) _statuses[changed.Name] = changed.Status;
        });
        Receive<StopAllSessions>(_ =>
        {
            _stopAllWaiters.Add(Sender);
            foreach (var session in _sessions.Values) session.Tell(StopSession.Instance);
            ReplyIfAllStopped();
        });
    }

    private readonly List<IActorRef> _stopAllWaiters = new();

    private static async Task<SessionInfo> InfoOf(string name, IActorRef session)
    {
        try
        {
            return await session.Ask<SessionInfo>(GetSessionInfo.Instance, TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (Exception)
        {
            return SessionInfos.Stopped(name);
        }
    }

    private void ReplyIfAllStopped()
    {
        if (_sessions.Count > 0 || _stopAllWaiters.Count == 0) return;
        foreach (var waiter in _stopAllWaiters) waiter.Tell(AllSessionsStopped.Instance);
        _stopAllWaiters.Clear();
    }

    public static Props Props() => Akka.Actor.Props.Create(() => new SessionSupervisor());

    // A session that throws is restarted in place (its ref stays valid; its memory resumes the conversation),
    // at most MaxRestarts times within the window; past that Akka stops it and the Terminated is reported.
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(
        RestartPolicy.Default.MaxRestarts, RestartPolicy.Default.Window, ex => ex switch
        {
            ActorInitializationException => Directive.Stop,
            _ => Directive.Restart,
        });

    private void Start(StartSession start)
    {
        var name = start.Options.Name ?? "session-" + Guid.NewGuid().ToString("N")[..12];
        var host = Process.SessionConfiguration.Get(Context.System);
        var options = start.Options with { Name = name };
        // An existing session is returned as it is: its directories were made when it started.
        if (host.Isolation is { } isolation && !_sessions.ContainsKey(name) && SessionNames.Check(name) is null)
            options = isolation.Apply(options, options.Environment, options.WorkingDirectory);
        // What can be known before any process starts is reported as a rejected start, not as a failed session.
        if (Process.CliPreflight.Check(options, out _, host.Lookup) is { } preflight)
        {
            Sender.Tell(new SessionStartRejected(preflight));
            return;
        }
        if (_sessions.TryGetValue(name, out var existing))
        {
            Sender.Tell(start.ReturnExisting
                ? new SessionStarted(name, existing, true)
                : new SessionStartRejected(new SessionFailure(FailureKind.SessionAlreadyExists, $"A session named '{name}' exists already.")));
            return;
        }
        var session = Context.ActorOf(SessionActor.Props(name, options, warmPool: _warmPool,
            budget: new CliBudgetLink(_budget, ReleaseThroughParent: false)), ActorName(name));
        Context.Watch(session);
        _sessions[name] = session;
        Sender.Tell(new SessionStarted(name, session, false));
    }

    private void Terminate(TerminateSession terminate)
    {
        if (!_sessions.TryGetValue(terminate.Name, out var session))
        {
            Sender.Tell(new SessionStartRejected(new SessionFailure(FailureKind.SessionNotFound, $"No session is named '{terminate.Name}'.")));
            return;
        }
        if (!_terminating.TryGetValue(session, out var waiters)) _terminating[session] = waiters = [];
        waiters.Add((terminate.Name, Sender));
        session.Tell(StopSession.Instance);
    }

    private void OnTerminated(Terminated terminated)
    {
        if (terminated.ActorRef.Equals(_budget)) return;
        var entry = _sessions.FirstOrDefault(kv => kv.Value.Equals(terminated.ActorRef));
        if (entry.Key is not null)
        {
            _sessions.Remove(entry.Key);
            _statuses.Remove(entry.Key);
            if (!_terminating.ContainsKey(terminated.ActorRef))
                _log.ForSession(entry.Key, null).Warning("Session {0} stopped without being terminated (it failed too often, or stopped itself).", entry.Key);
        }
        if (_terminating.Remove(terminated.ActorRef, out var waiters))
        {
            // Terminated on purpose: its transcripts and files go with it. A session that stopped by itself, or with
            // the host, keeps them (a restarted host resumes it; an operator can look at what happened).
            if (entry.Key is not null) Process.SessionConfiguration.Get(Context.System).Isolation?.Remove(entry.Key);
            foreach (var (name, replyTo) in waiters) replyTo.Tell(new SessionTerminated(name));
        }
        ReplyIfAllStopped();
    }

    /// <summary>Keep CLIs warm for these profiles (<see cref="WarmPool"/>); a second one is ignored. Replies with the pool's ref.</summary>
    internal sealed record StartWarmPool(IReadOnlyList<WarmPoolProfile> Profiles);

    // Session names may hold characters an actor name cannot; the name itself stays the key.
    internal static string ActorName(string sessionName) => "session-" + Uri.EscapeDataString(sessionName);
}
