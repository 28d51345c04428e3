using System.Text.Json;
using Akka.Actor;
using Akka.Event;
using ClaudeActors.Callbacks;
using ClaudeActors.Logging;
using ClaudeActors.Process;
using ClaudeActors.Protocol;

namespace ClaudeActors.Sessions;

/// <summary>
/// One conversation. Owns a <see cref="CliProcessActor"/> child (started eagerly), performs the initialize
/// handshake, runs queries one at a time (the CLI would merge lines written during a turn), streams each
/// message to the requester and ends every query with exactly one terminal message. When the CLI dies the
/// in-flight query fails at once and a new CLI starts with <c>--resume</c>, within the <see cref="RestartPolicy"/>.
/// </summary>
/// <remarks>
/// The actor keeps the state machine (its status, its CLI, its restarts) and wires plain parts that hold the rest:
/// <see cref="TurnQueue"/> and <see cref="DeliveryWindows"/> for turns and flow control, <see cref="ControlTable"/> for
/// control requests, <see cref="FailureClassifier"/> for what went wrong, and <see cref="CallbackRouter"/> with
/// <see cref="PendingCallbacks"/> for the requests the CLI sends.
/// </remarks>
internal sealed partial class SessionActor : ReceiveActor, IWithTimers
{
    /// <summary>Above this many undelivered messages for one slow consumer, stdout reading pauses.</summary>
    internal const int OutboxHighWater = 10_000;
    internal const int OutboxLowWater = 1_000;
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan AbandonedTurnGrace = TimeSpan.FromSeconds(10);
    // How long a stopping session waits for its in-process MCP servers to end (their tool calls are cancelled).
    private static readonly TimeSpan McpStopGrace = TimeSpan.FromSeconds(5);
    /// <summary>How long a finished turn waits for its parent to journal it before it is answered anyway.</summary>
    internal static readonly TimeSpan JournalTimeout = TimeSpan.FromSeconds(10);

    private readonly string _name;
    private readonly SessionOptions _options;
    private readonly SessionRestarts _restarts;
    private readonly TurnReporting _turnReporting;
    // The CLI is started with --session-mirror and its transcript_mirror frames go to the parent (a persistent entity).
    private readonly bool _sessionMirror;
    private readonly SessionLog _logs;
    private readonly SessionMemory _memory;
    private readonly IActorRef? _warmPool;

    private readonly TurnQueue _turns = new();
    private readonly DeliveryWindows _deliveries;
    private readonly ControlTable _controls = new();
    private readonly CallbackRouter _callbackRouter;
    private readonly PendingCallbacks _callbacks = new();
    private readonly InProcessMcpServers _mcp;
    private readonly List<IActorRef> _readyWaiters = new();
    private readonly Queue<string> _recentMalformed = new();

    private string? _cliPath;
    private IActorRef? _cli;
    private int _cliGeneration;
    private int? _cliPid;
    // Why the session itself stopped the current CLI; the crash path takes it once the CLI has gone (HandleTerminated).
    private CliEnded? _cliStoppedFor;
    private JsonElement? _serverInfo;
    private SessionStatus _status = SessionStatus.Initializing;
    private SessionStatus? _countedStatus;
    private SessionFailure? _lastFailure;
    private bool _restartRequested;

    public SessionActor(string name, SessionOptions options, SessionMemory memory, TurnReporting turnReporting, IActorRef? warmPool, CliBudgetLink? budget = null, bool sessionMirror = false)
    {
        _warmPool = warmPool;
        _name = name;
        _budget = budget;
        _turnReporting = turnReporting;
        _sessionMirror = sessionMirror && turnReporting != TurnReporting.None;
        _options = options;
        _memory = memory;
        _restarts = new SessionRestarts(options.Restart, memory);
        _logs = new SessionLog(Context.GetLogger(), name);
        _callbackRouter = new CallbackRouter(name, options.Callbacks);
        _mcp = new InProcessMcpServers(name, options.Callbacks.McpServers, Context.System, options.Callbacks.Timeout);
        _deliveries = new DeliveryWindows(OutboxHighWater, OutboxLowWater, (paused, largest) =>
        {
            _cli?.Tell(new PauseCliOutput(paused));
            if (paused) Log.Debug("Session {0}: a consumer is {1} messages behind; pausing the CLI's output.", _name, largest);
        });
        Active();
    }

    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Every line carries the session's name and its current conversation id.</summary>
    private ILoggingAdapter Log => _logs.For(_memory.SessionId);

    /// <summary>
    /// The memory is created here, once per Props: when the actor itself throws and its supervisor restarts it,
    /// the new instance finds the session id and conversation state of the old one and resumes it.
    /// </summary>
    /// <param name="name">The session's name.</param>
    /// <param name="options">How to start its CLI.</param>
    /// <param name="turnReporting">What the parent wants to hear of each finished turn: nothing (the local supervisor) by default.</param>
    /// <param name="warmPool">The <see cref="WarmPool"/> a fresh session first asks for a started CLI, or null.</param>
    /// <param name="budget">The node's CLI budget, asked before every CLI start; none: CLIs start at once.</param>
    /// <param name="sessionMirror">Start the CLI with <c>--session-mirror</c> and tell the parent each <see cref="Protocol.TranscriptMirrorMessage"/> (only with turn reports).</param>
    public static Props Props(string name, SessionOptions options, TurnReporting turnReporting = TurnReporting.None,
        IActorRef? warmPool = null, CliBudgetLink? budget = null, bool sessionMirror = false)
    {
        var memory = new SessionMemory(options);
        return Akka.Actor.Props.Create(() => new SessionActor(name, options, memory, turnReporting, warmPool, budget, sessionMirror));
    }

    // A CLI child never restarts in place: it would come back with stale arguments. The session decides. The CLI's
    // own ends come as messages (CliEnded), so what reaches this strategy is a bug of the CLI actor: Akka logs it,
    // and the Terminated that follows takes the crash path.
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(-1, -1, _ => Directive.Stop);

    /// <summary>Stops the current CLI for a reason of the session's own; the Terminated that follows takes the crash path.</summary>
    private void FailCli(CliEnded reason)
    {
        if (_cli is null) return;
        _cliStoppedFor = reason;
        Context.Stop(_cli);
    }

    protected override void PreStart()
    {
        if (CliPreflight.Check(_options, out _cliPath, SessionConfiguration.Get(Context.System).Lookup) is { } preflight)
        {
            EnterFailed(preflight);
            return;
        }
        if (_memory.Started)
        {
            // The actor itself crashed and was restarted: carry on the same conversation after a backoff.
            Restart(_restarts.AfterActorCrash(DateTimeOffset.UtcNow), failure: null);
            return;
        }
        _memory.Begin(_options);
        if (TakePrestartedCli()) return;
        if (_warmPool is not null && WarmPoolEligibility.Refusal(_options) is null) AskWarmPool(_warmPool);
        else StartCli(resume: null);
    }

    protected override void PreRestart(Exception reason, object message)
    {
        Log.Error(reason, "Session {0} failed while handling {1}; it restarts and resumes its conversation.", _name, message?.GetType().Name ?? "a message");
        FailEverything(new SessionFailure(FailureKind.SessionCrashed, $"Session '{_name}' failed ({reason.GetType().Name}) and restarts."));
        GiveUpAdmission(); // the next instance asks the budget again for its own CLI
        StopMcpServers(); // the next instance starts its own
        foreach (var child in Context.GetChildren())
        {
            Context.Unwatch(child);
            Context.Stop(child);
        }
        // A CLI taken from the warm pool is not a child, and this actor's ref outlives the restart: stopped here too.
        if (_cli is { } cli)
        {
            Context.Unwatch(cli);
            Context.Stop(cli);
        }
    }

    protected override void PostStop()
    {
        _callbacks.CancelAll();
        GiveUpAdmission();
        StopMcpServers();
        FailEverything(new SessionFailure(FailureKind.SessionStopped, $"Session '{_name}' stopped."));
        if (_status is not (SessionStatus.Stopped or SessionStatus.Failed)) SetStatus(SessionStatus.Stopped);
        if (_countedStatus is not null) Telemetry.ClaudeActorsTelemetry.StatusChanged(_countedStatus, SessionStatus.Stopped);
        _countedStatus = null;
    }

    private void Active()
    {
        ReceiveTurns();
        ReceiveControls();
        ReceiveWarmStart();
        Receive<GetSessionId>(_ => Sender.Tell(new SessionIdReply(_memory.SessionId)));
        // The CLI's memory as last measured (after each turn, and every few seconds by the budget), never read here.
        Receive<GetSessionInfo>(_ =>
        {
            var info = WithMemory(Info());
            // Not measured yet (no budget or ceiling samples it): read now, off this thread; the reply goes straight back.
            if (info.CliMemory is null && _cliPid is { } pid)
                Task.Run(() => info with { CliMemory = ProcessMemory.TreePss(pid) is { } bytes ? new ByteSize(bytes) : null }).PipeTo(Sender);
            else Sender.Tell(info);
        });
        ReceiveBudget();
        // File IO off the actor's thread; the reply goes straight to the requester.
        Receive<GetConversation>(_ => SessionConversation.ReadAsync(_memory, _options).PipeTo(Sender));
        Receive<AwaitReady>(HandleAwaitReady);
        Receive<StopSession>(_ => BeginStop());
        Receive<StopDeadline>(_ => Context.Stop(Self));
        Receive<SimulateFailure>(f => throw new InvalidOperationException(f.Reason));

        FromCurrentCli<CliStarted>(OnCliStarted);
        FromCurrentCli<CliOutput>(output => HandleOutput(output.Message));
        FromCurrentCli<CliMalformedLine>(HandleMalformedLine);
        FromCurrentCli<CliEnded>(HandleCliEnded);
        Receive<Terminated>(HandleTerminated);
        Receive<CallbackCompleted>(OnCallbackCompleted);
        Receive<McpAnswered>(OnMcpAnswered);
        Receive<InitTimedOut>(t =>
        {
            if (t.Generation != _cliGeneration || _status != SessionStatus.Initializing) return;
            Log.Warning("Session {0}: the claude CLI did not answer the initialize request within {1}.", _name, _options.ControlTimeout);
            FailCli(new CliStartFailed($"The claude CLI did not answer the initialize request within {_options.ControlTimeout}."));
        });
        Receive<RestartCli>(r =>
        {
            if (r.Generation == _cliGeneration && _status == SessionStatus.Restarting) StartCli(_memory.ResumeId);
        });
    }

    // ---- lifecycle of the CLI -------------------------------------------------------------------------

    // Only the current CLI is listened to: what an old one (cleared, replaced, being stopped) still says is dropped.
    private void FromCurrentCli<T>(Action<T> handle) => Receive<T>(message =>
    {
        if (Sender.Equals(_cli)) handle(message);
    });

    private void LaunchCli(string? resume, CliPrestart.Prestarted? prestarted = null)
    {
        _cliMemory = null;
        _mcp.EndGeneration(); // a new CLI initializes its MCP servers again: it gets new ones
        _cliGeneration++;
        _cliPid = null;
        _serverInfo = null;
        var overrides = resume is not null || _sessionMirror ? new LaunchOverrides(Resume: resume, SessionMirror: _sessionMirror) : null;
        var spec = prestarted?.Spec ?? CliCommandBuilder.Build(_memory.Effective, _cliPath!, overrides, SessionConfiguration.Get(Context.System).Lookup);
        _cli = Context.ActorOf(CliProcessActor.Props(spec, _name, _memory.SessionId, prestarted: prestarted?.Process), "cli-" + _cliGeneration);
        Context.Watch(_cli);
        var initId = _controls.BeginInitialize();
        _cli.Tell(new SendFrame(OutboundFrames.ControlRequest(initId, _callbackRouter.InitializeRequest())));
        Timers.StartSingleTimer("init", new InitTimedOut(_cliGeneration), _options.ControlTimeout);
        SetStatus(SessionStatus.Initializing);
    }

    private void OnInitialized(ControlResponseBody response)
    {
        Timers.Cancel("init");
        if (!response.IsSuccess)
        {
            FailCli(new CliStartFailed("The claude CLI refused the initialize request: " + response.Error));
            return;
        }
        BecomeReady(response.Response);
    }

    /// <summary>The CLI's handshake is done (this session's, or the warm pool's): whatever waited for it goes ahead.</summary>
    private void BecomeReady(JsonElement? serverInfo)
    {
        _serverInfo = serverInfo;
        SetStatus(SessionStatus.Ready);
        foreach (var waiter in _readyWaiters) waiter.Tell(Info());
        _readyWaiters.Clear();
        foreach (var deferred in _controls.TakeDeferred()) SendControl(deferred.ReplyTo, deferred.Control);
        StartNext();
    }

    /// <summary>The CLI says it has ended (its process exited, or never started) and stops itself.</summary>
    private void HandleCliEnded(CliEnded ended)
    {
        // Already being stopped by the session (stop, restart, a reason of its own): its Terminated finishes that.
        if (_status is SessionStatus.Stopping || _restartRequested || _releasing || _cliStoppedFor is not null) return;
        // The Terminated that follows is then an old CLI's.
        _cli = null;
        _cliPid = null;
        OnCliGone(ended);
    }

    private void HandleTerminated(Terminated terminated)
    {
        if (!terminated.ActorRef.Equals(_cli)) return; // an old CLI finishing its graceful stop, or one whose end was handled
        var stoppedFor = _cliStoppedFor;
        _cli = null;
        _cliPid = null;
        _cliStoppedFor = null;
        if (_status is SessionStatus.Stopping)
        {
            Context.Stop(Self);
            return;
        }
        if (OnReleasedCliGone()) return;
        if (_restartRequested)
        {
            _restartRequested = false;
            StartCli(_memory.ResumeId);
            return;
        }
        // Stopped by the session for a reason of its own, or (a backstop) gone without a word.
        OnCliGone(stoppedFor);
    }

    /// <summary>The current CLI is gone unasked: everyone waiting on it hears why, and a new one starts after a backoff.</summary>
    private void OnCliGone(CliEnded? end)
    {
        var failure = FailureClassifier.ForCliEnd(end, duringStartUp: _serverInfo is null && _memory.RestartCount == 0, _recentMalformed);
        _recentMalformed.Clear();
        _mcp.EndGeneration();
        GiveUpAdmission();
        _lastFailure = failure;
        Log.Warning("Session {0}: {1}", _name, failure);
        // Everyone waiting on this CLI hears about it now, not at their timeout.
        FailRunning(failure);
        var decision = _restarts.AfterCliLost(failure, everInitialized: _serverInfo is not null, DateTimeOffset.UtcNow);
        if (decision.Final is null) Telemetry.ClaudeActorsTelemetry.Restarted(_name);
        Restart(decision, failure);
    }

    /// <summary>A new CLI starts after the decided backoff, resuming the conversation; or the session gives up and stops.</summary>
    private void Restart(RestartDecision decision, SessionFailure? failure)
    {
        if (decision.Final is { } final)
        {
            EnterFailed(final);
            return;
        }
        SetStatus(SessionStatus.Restarting, failure);
        Timers.StartSingleTimer("restart", new RestartCli(_cliGeneration), decision.Backoff);
    }

    /// <summary>Nothing more can be done: everyone waiting is told why, the failure is published, and the session stops.</summary>
    private void EnterFailed(SessionFailure failure)
    {
        _lastFailure = failure;
        Log.Warning("Session {0} failed and stops: {1}", _name, failure);
        SetStatus(SessionStatus.Failed, failure);
        FailEverything(failure);
        Context.Stop(Self);
    }

    private void BeginStop()
    {
        if (_status is SessionStatus.Stopping) return;
        FailEverything(new SessionFailure(FailureKind.SessionStopped, $"Session '{_name}' is stopping."));
        SetStatus(SessionStatus.Stopping);
        if (_cli is null)
        {
            Context.Stop(Self);
            return;
        }
        _cli.Tell(new ShutdownCli(StopGrace));
        // Safety net: the CLI actor escalates to SIGTERM and SIGKILL on its own; this bounds the wait regardless.
        Timers.StartSingleTimer("stop", StopDeadline.Instance, StopGrace + TimeSpan.FromSeconds(5));
    }

    /// <summary>
    /// Ends what the current CLI was doing: a finished turn waiting for its journal is answered (its result is real),
    /// the running turn fails, and so does every control request waiting for an answer.
    /// </summary>
    private void FailRunning(SessionFailure failure)
    {
        DeliverJournalingTurn();
        if (_turns.TakeCurrent() is { Abandoned: false } current) Finish(current, new QueryFailed(current.Query.QueryId, failure));
        foreach (var (id, pending) in _controls.TakeAll())
        {
            Timers.Cancel("control-" + id);
            pending.ReplyTo.Tell(new ControlResult(null, failure));
        }
    }

    /// <summary>The session cannot go on: what runs fails, and so does everything that waits.</summary>
    private void FailEverything(SessionFailure failure)
    {
        FailRunning(failure);
        foreach (var work in _turns.TakeAllWaiting())
        {
            if (work is PendingQuery q) Timers.Cancel("query-" + q.Query.QueryId);
            work.ReplyTo.Tell(work.FailedWith(failure));
        }
        foreach (var deferred in _controls.TakeDeferred()) deferred.ReplyTo.Tell(new ControlResult(null, failure));
        foreach (var waiter in _readyWaiters) waiter.Tell(new SessionStartFailed(failure));
        _readyWaiters.Clear();
    }

    private bool IsEnding => _status is SessionStatus.Failed or SessionStatus.Stopping or SessionStatus.Stopped;

    /// <summary>A session that has failed or is stopping answers at once, with why; true when it did.</summary>
    private bool RefusedAsEnding(IActorRef replyTo, Func<SessionFailure, object> reply)
    {
        if (!IsEnding) return false;
        replyTo.Tell(reply(_lastFailure ?? new SessionFailure(FailureKind.SessionStopped, $"Session '{_name}' is {_status}.")));
        return true;
    }

    private void SetStatus(SessionStatus status, SessionFailure? failure = null)
    {
        var changed = _status != status;
        _status = status;
        if (_countedStatus != status)
        {
            Telemetry.ClaudeActorsTelemetry.StatusChanged(_countedStatus, status);
            _countedStatus = status is SessionStatus.Stopped ? null : status;
        }
        if (changed) PublishStatus(failure);
        if (changed) ReportActivity(status);
    }

    private void PublishStatus(SessionFailure? failure = null)
    {
        var changed = new SessionStatusChanged(_name, _status, _memory.SessionId, failure) { Model = _memory.Model };
        Context.System.EventStream.Publish(changed);
        Context.Parent.Tell(changed); // the supervisor or the cluster entity keeps its own view
    }

    private SessionInfo Info() => new(_name, _memory.SessionId, _status, _memory.Model, _memory.StartedAt, _memory.RestartCount,
        _turns.Count, _cliPid, _lastFailure);

    private void StopMcpServers()
    {
        if (!_mcp.Stop(McpStopGrace))
            Log.Warning("Session {0}: its in-process MCP servers did not end within {1}.", _name, McpStopGrace);
    }

    private void HandleAwaitReady(AwaitReady _)
    {
        if (_status is SessionStatus.Ready or SessionStatus.Busy) Sender.Tell(Info());
        else if (!RefusedAsEnding(Sender, f => new SessionStartFailed(f)))
        {
            _readyWaiters.Add(Sender);
            WakeIfPassivated();
        }
    }
}
