using System.Text.Json;
using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.Event;
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
internal sealed partial class SessionActor : ReceiveActor, IWithTimers
{
    /// <summary>Above this many undelivered messages for one slow consumer, stdout reading pauses.</summary>
    internal const int OutboxHighWater = 10_000;
    internal const int OutboxLowWater = 1_000;
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan AbandonedTurnGrace = TimeSpan.FromSeconds(10);
    /// <summary>How long a finished turn waits for its parent to journal it before it is answered anyway.</summary>
    internal static readonly TimeSpan JournalTimeout = TimeSpan.FromSeconds(10);

    private readonly string _name;
    private readonly SessionOptions _options;
    private readonly RestartPolicy _restartPolicy;
    private readonly bool _journalTurns;
    private readonly SessionLog _logs;

    private readonly LinkedList<PendingWork> _queue = new();
    private readonly Dictionary<string, Delivery> _deliveries = new();
    private readonly Dictionary<string, PendingControl> _pendingControls = new();
    private readonly List<DeferredControl> _deferredControls = new();
    private readonly List<IActorRef> _readyWaiters = new();
    private readonly Queue<string> _recentMalformed = new();

    private string? _cliPath;
    private IActorRef? _cli;
    private int _cliGeneration;
    private int? _cliPid;
    private string? _initRequestId;
    private JsonElement? _serverInfo;
    private SessionStatus _status = SessionStatus.Initializing;
    private RunningQuery? _current;
    private JournalingTurn? _journaling;
    private readonly Dictionary<string, Exception> _cliFailures = new();
    private SessionFailure? _lastFailure;
    private bool _outputPaused;
    private bool _restartRequested;
    private long _controlCounter;

    private readonly SessionMemory _memory;

    public SessionActor(string name, SessionOptions options, SessionMemory memory, bool journalTurns)
    {
        _name = name;
        _journalTurns = journalTurns;
        _options = options;
        _restartPolicy = options.Restart;
        _memory = memory;
        _logs = new SessionLog(Context.GetLogger(), name);
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
    /// <param name="journalTurns">
    /// True under a persistent parent: a finished turn is answered only once the parent has journaled its transcript
    /// lines (<see cref="TurnJournaled"/>), so an answer the caller saw is never missing from the conversation that a
    /// survivor node resumes.
    /// </param>
    public static Props Props(string name, SessionOptions options, bool journalTurns = false)
    {
        var memory = new SessionMemory(options);
        return Akka.Actor.Props.Create(() => new SessionActor(name, options, memory, journalTurns));
    }

    // A CLI child never restarts in place: it would come back with stale arguments. The session decides.
    // Not logged by Akka: the session reports the crash itself, with its name and id (HandleTerminated).
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(-1, -1, ex =>
    {
        var cause = ex is ActorInitializationException { InnerException: { } inner } ? inner : ex;
        if (cause is CliProcessException cli) _cliFailures[cli.ActorName] = cli;
        return Directive.Stop;
    }, loggingEnabled: false);

    /// <summary>Stops the current CLI for a reason of the session's own; the Terminated that follows takes the crash path.</summary>
    private void FailCli(Exception reason)
    {
        if (_cli is null) return;
        _cliFailures[_cli.Path.Name] = reason;
        Context.Stop(_cli);
    }

    protected override void PreStart()
    {
        var errors = _options.Validate();
        if (errors.Count > 0)
        {
            EnterFailed(new SessionFailure(FailureKind.InvalidRequest, "Invalid session options: " + string.Join(" ", errors)));
            return;
        }
        try
        {
            _cliPath = CliLocator.Resolve(_options.CliPath);
        }
        catch (CliNotFoundException ex)
        {
            EnterFailed(ex.Failure);
            return;
        }
        var wd = _options.WorkingDirectory;
        if (wd is not null && !Directory.Exists(wd))
        {
            EnterFailed(new SessionFailure(FailureKind.CliStartFailed, $"The working directory '{wd}' does not exist."));
            return;
        }
        if (_memory.Started)
        {
            // The actor itself crashed and was restarted: carry on the same conversation after a backoff.
            if (!AllowRestart())
            {
                EnterFailed(new SessionFailure(FailureKind.SessionCrashed, "The session kept failing; giving up."));
                return;
            }
            _memory.RestartCount++;
            SetStatus(SessionStatus.Restarting);
            Timers.StartSingleTimer("restart", new RestartCli(_cliGeneration), _restartPolicy.Backoff(_memory.RecentRestarts.Count - 1));
            return;
        }
        _memory.Started = true;
        // A fresh conversation gets its id from the host, so the id is known before the first turn and a
        // restart before any turn can reuse it.
        var fresh = _options.Resume is null && !_options.Continue;
        if (fresh)
        {
            _memory.SessionId = _options.SessionId ?? SessionIds.New();
            _memory.Effective = _options with { SessionId = _memory.SessionId };
        }
        else if (_options is { Resume: { } resumed, ForkSession: false })
        {
            // Resuming keeps the id, so it is known before the first turn (a fork's new id comes with its first turn).
            _memory.SessionId = resumed;
            _memory.ConversationPersisted = true;
        }
        StartCli(resume: null);
    }

    protected override void PreRestart(Exception reason, object message)
    {
        Log.Error(reason, "Session {0} failed while handling {1}; it restarts and resumes its conversation.", _name, message?.GetType().Name ?? "a message");
        FailEverything(new SessionFailure(FailureKind.SessionCrashed, $"Session '{_name}' failed ({reason.GetType().Name}) and restarts."));
        foreach (var child in Context.GetChildren())
        {
            Context.Unwatch(child);
            Context.Stop(child);
        }
    }

    protected override void PostStop()
    {
        CancelAllCallbacks();
        var stopped = new SessionFailure(FailureKind.SessionStopped, $"Session '{_name}' stopped.");
        FailEverything(stopped);
        if (_status is not (SessionStatus.Stopped or SessionStatus.Failed)) SetStatus(SessionStatus.Stopped);
        if (_countedStatus is not null) Telemetry.ClaudeActorsTelemetry.StatusChanged(_countedStatus, SessionStatus.Stopped);
        _countedStatus = null;
    }

    private void Active()
    {
        Receive<Query>(HandleQuery);
        Receive<QueryAck>(HandleAck);
        Receive<ClearSession>(_ => Enqueue(new PendingClear(Sender)));
        Receive<Interrupt>(HandleInterrupt);
        Receive<CancelQuery>(HandleCancel);
        Receive<SetModel>(HandleSetModel);
        Receive<SetPermissionMode>(m => SendControl(Sender, "set_permission_mode",
            new JsonObject { ["mode"] = PermissionModes.ToWire(m.Mode) }, ControlKind.SetPermissionMode(m.Mode)));
        Receive<GetMcpStatus>(_ => SendControl(Sender, "mcp_status", new JsonObject(), ControlKind.Plain));
        Receive<RewindFiles>(HandleRewind);
        ReceiveControls();
        Receive<GetServerInfo>(_ => Sender.Tell(_serverInfo is { } info
            ? new ControlResult(info, null)
            : new ControlResult(null, _lastFailure ?? new SessionFailure(FailureKind.SessionStopped, "The initialize handshake has not completed yet."))));
        Receive<GetSessionId>(_ => Sender.Tell(new SessionIdReply(_memory.SessionId)));
        Receive<GetSessionInfo>(_ => Sender.Tell(Info()));
        Receive<GetConversation>(_ => ReadConversation(Sender));
        Receive<AwaitReady>(HandleAwaitReady);
        Receive<StopSession>(_ => BeginStop());
        Receive<StopDeadline>(_ => Context.Stop(Self));
        Receive<SimulateFailure>(f => throw new InvalidOperationException(f.Reason));

        Receive<CliStarted>(started =>
        {
            if (Sender.Equals(_cli)) _cliPid = started.ProcessId;
        });
        Receive<CliOutput>(output =>
        {
            if (Sender.Equals(_cli)) HandleOutput(output.Message);
        });
        Receive<CliMalformedLine>(malformed =>
        {
            if (!Sender.Equals(_cli)) return;
            _recentMalformed.Enqueue(malformed.Preview);
            while (_recentMalformed.Count > 5) _recentMalformed.Dequeue();
            // A dropped line may have been the turn's result, and then no result will ever come: the caller learns
            // at once that output was lost, and a fresh CLI (resuming the conversation) removes the doubt about
            // where the old one stands.
            if (malformed.Oversized && _current is { Abandoned: false } current)
            {
                Finish(current, new QueryFailed(current.Query.QueryId, new SessionFailure(FailureKind.ProtocolError,
                    $"The CLI wrote a line of {malformed.Length} bytes, over the limit; it was dropped and the turn was ended.")));
                current.Abandoned = true;
                FailCli(new CliProcessExitedException("", null, "restarted after a line over the limit"));
            }
        });
        Receive<CliStopped>(_ => { });
        Receive<Terminated>(HandleTerminated);

        Receive<CallbackCompleted>(OnCallbackCompleted);
        Receive<QueryTimedOut>(HandleQueryTimeout);
        Receive<TurnJournaled>(j =>
        {
            if (_journaling?.Current.Query.QueryId == j.QueryId) CompleteJournaledTurn();
        });
        Receive<JournalTimedOut>(t =>
        {
            if (_journaling?.Current.Query.QueryId != t.QueryId) return;
            Log.Warning("Session {0}: the turn's transcript was not journaled within {1}; answering anyway.", _name, JournalTimeout);
            CompleteJournaledTurn();
        });
        Receive<ControlTimedOut>(HandleControlTimeout);
        Receive<InitTimedOut>(t =>
        {
            if (t.Generation != _cliGeneration || _status != SessionStatus.Initializing) return;
            Log.Warning("Session {0}: the claude CLI did not answer the initialize request within {1}.", _name, _options.ControlTimeout);
            FailCli(new CliProcessStartException("", $"The claude CLI did not answer the initialize request within {_options.ControlTimeout}."));
        });
        Receive<RestartCli>(r =>
        {
            if (r.Generation == _cliGeneration && _status == SessionStatus.Restarting) StartCli(RestartResumeId());
        });
        Receive<AbandonedTurnElapsed>(a =>
        {
            if (_current is not { Abandoned: true } current || current.Query.QueryId != a.QueryId) return;
            Log.Warning("Session {0}: the CLI did not end an abandoned turn; restarting it.", _name);
            FailCli(new CliProcessExitedException("", null, "The turn did not end after an interrupt."));
        });
    }

    // ---- lifecycle of the CLI -------------------------------------------------------------------------

    private void StartCli(string? resume)
    {
        _cliGeneration++;
        _cliPid = null;
        _serverInfo = null;
        var overrides = resume is not null ? new LaunchOverrides(Resume: resume) : null;
        var spec = CliCommandBuilder.Build(_memory.Effective, _cliPath!, overrides);
        _cli = Context.ActorOf(CliProcessActor.Props(spec, _name, _memory.SessionId), "cli-" + _cliGeneration);
        Context.Watch(_cli);
        _initRequestId = NextRequestId();
        _cli.Tell(new SendFrame(OutboundFrames.ControlRequest(_initRequestId, BuildInitializeRequest())));
        Timers.StartSingleTimer("init", new InitTimedOut(_cliGeneration), _options.ControlTimeout);
        SetStatus(SessionStatus.Initializing);
    }

    private string? RestartResumeId() =>
        _memory.ConversationPersisted && _memory.SessionId is not null && !_options.NoSessionPersistence ? _memory.SessionId : null;

    private void OnInitialized(ControlResponseBody response)
    {
        Timers.Cancel("init");
        if (!response.IsSuccess)
        {
            FailCli(new CliProcessStartException("", "The claude CLI refused the initialize request: " + response.Error));
            return;
        }
        _serverInfo = response.Response;
        SetStatus(SessionStatus.Ready);
        foreach (var waiter in _readyWaiters) waiter.Tell(Info());
        _readyWaiters.Clear();
        foreach (var deferred in _deferredControls) SendControl(deferred.ReplyTo, deferred.Subtype, deferred.Request, deferred.Kind);
        _deferredControls.Clear();
        StartNext();
    }

    private void HandleTerminated(Terminated terminated)
    {
        if (!terminated.ActorRef.Equals(_cli)) return; // an old CLI finishing its graceful stop
        _cli = null;
        _cliPid = null;
        _cliFailures.Remove(terminated.ActorRef.Path.Name, out var cause);
        if (_status is SessionStatus.Stopping)
        {
            Context.Stop(Self);
            return;
        }
        if (_restartRequested)
        {
            _restartRequested = false;
            StartCli(RestartResumeId());
            return;
        }

        var failure = DescribeCliFailure(cause);
        _lastFailure = failure;
        Log.Warning("Session {0}: {1}", _name, failure);

        // A finished turn waiting for its journal is answered: its result is real.
        DeliverJournalingTurn();
        // Everyone waiting on this CLI hears about it now, not at their timeout.
        if (_current is { } current)
        {
            if (!current.Abandoned) Finish(current, new QueryFailed(current.Query.QueryId, failure));
            _current = null;
        }
        FailPendingControls(failure);

        var neverStarted = _serverInfo is null && _memory.RestartCount == 0 && _memory.RecentRestarts.Count == 0 && failure.Kind == FailureKind.CliStartFailed;
        if (neverStarted || !AllowRestart())
        {
            EnterFailed(neverStarted ? failure : failure with
            {
                Message = $"The claude CLI kept crashing ({_restartPolicy.MaxRestarts} restarts within {_restartPolicy.Window}); giving up. Last: {failure.Message}",
            });
            return;
        }
        _memory.RestartCount++;
        Telemetry.ClaudeActorsTelemetry.Restarted(_name);
        var delay = _restartPolicy.Backoff(_memory.RecentRestarts.Count - 1);
        SetStatus(SessionStatus.Restarting, failure);
        Timers.StartSingleTimer("restart", new RestartCli(_cliGeneration), delay);
    }

    private bool AllowRestart()
    {
        var now = DateTimeOffset.UtcNow;
        while (_memory.RecentRestarts.Count > 0 && now - _memory.RecentRestarts.Peek() > _restartPolicy.Window) _memory.RecentRestarts.Dequeue();
        if (_memory.RecentRestarts.Count >= _restartPolicy.MaxRestarts) return false;
        _memory.RecentRestarts.Enqueue(now);
        return true;
    }

    private SessionFailure DescribeCliFailure(Exception? cause)
    {
        var said = _recentMalformed.Count > 0 ? " The CLI said: " + string.Join(" | ", _recentMalformed) : "";
        _recentMalformed.Clear();
        return cause switch
        {
            CliProcessExitedException exited when _serverInfo is null && _memory.RestartCount == 0 => new SessionFailure(
                FailureKind.CliStartFailed, "The claude CLI exited during start-up." + said)
            {
                ExitCode = exited.ExitCode,
                StderrTail = exited.StderrTail,
            },
            CliProcessExitedException exited => new SessionFailure(FailureKind.CliCrashed, "The claude CLI process exited unexpectedly." + said)
            {
                ExitCode = exited.ExitCode,
                StderrTail = exited.StderrTail,
            },
            CliProcessStartException start => new SessionFailure(FailureKind.CliStartFailed, start.Message + said),
            null => new SessionFailure(FailureKind.CliCrashed, "The claude CLI process actor stopped." + said),
            _ => new SessionFailure(FailureKind.CliCrashed, "The claude CLI process actor failed: " + cause.GetType().Name + said),
        };
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
        var stopped = new SessionFailure(FailureKind.SessionStopped, $"Session '{_name}' is stopping.");
        FailEverything(stopped);
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

    private void FailPendingControls(SessionFailure failure)
    {
        foreach (var (id, pending) in _pendingControls)
        {
            Timers.Cancel("control-" + id);
            pending.ReplyTo.Tell(new ControlResult(null, failure));
        }
        _pendingControls.Clear();
    }

    private void FailEverything(SessionFailure failure)
    {
        DeliverJournalingTurn();
        if (_current is { } current)
        {
            if (!current.Abandoned) Finish(current, new QueryFailed(current.Query.QueryId, failure));
            _current = null;
        }
        while (_queue.First is { } node)
        {
            _queue.RemoveFirst();
            switch (node.Value)
            {
                case PendingQuery q:
                    Timers.Cancel("query-" + q.Query.QueryId);
                    q.ReplyTo.Tell(new QueryFailed(q.Query.QueryId, failure));
                    break;
                case PendingClear c:
                    c.ReplyTo.Tell(new ControlResult(null, failure));
                    break;
            }
        }
        FailPendingControls(failure);
        foreach (var deferred in _deferredControls) deferred.ReplyTo.Tell(new ControlResult(null, failure));
        _deferredControls.Clear();
        foreach (var waiter in _readyWaiters) waiter.Tell(new SessionStartFailed(failure));
        _readyWaiters.Clear();
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
    }

    private SessionStatus? _countedStatus;

    private void PublishStatus(SessionFailure? failure = null)
    {
        var changed = new SessionStatusChanged(_name, _status, _memory.SessionId, failure) { Model = _memory.Model };
        Context.System.EventStream.Publish(changed);
        Context.Parent.Tell(changed); // the supervisor or the cluster entity keeps its own view
    }

    private SessionInfo Info() => new(_name, _memory.SessionId, _status, _memory.Model, _memory.StartedAt, _memory.RestartCount,
        _queue.Count, _cliPid, _lastFailure);

    private void HandleAwaitReady(AwaitReady _)
    {
        if (_status is SessionStatus.Ready or SessionStatus.Busy) Sender.Tell(Info());
        else if (_status is SessionStatus.Failed or SessionStatus.Stopped or SessionStatus.Stopping)
            Sender.Tell(new SessionStartFailed(_lastFailure ?? new SessionFailure(FailureKind.SessionStopped, $"Session '{_name}' is {_status}.")));
        else _readyWaiters.Add(Sender);
    }

    private void ReadConversation(IActorRef replyTo)
    {
        if (_memory.SessionId is not { } sessionId || !_memory.ConversationPersisted)
        {
            replyTo.Tell(new ConversationResult(new History.Conversation(_memory.SessionId ?? "", "", [], []), null));
            return;
        }
        var config = History.ConversationHistory.ConfigDirectory(_options.Environment);
        var workingDirectory = _options.WorkingDirectory ?? Directory.GetCurrentDirectory();
        // File IO off the actor's thread; the reply goes straight to the requester.
        History.ConversationHistory.ReadAsync(sessionId, config, workingDirectory).PipeTo(replyTo,
            success: conversation => new ConversationResult(conversation, null),
            failure: ex => new ConversationResult(null, ex is ClaudeSessionException cse
                ? cse.Failure
                : new SessionFailure(FailureKind.SessionNotFound, "The transcript could not be read: " + ex.Message)));
    }

    private string NextRequestId() => $"req_{++_controlCounter}_{Guid.NewGuid():N}"[..24];

    // ---- internal messages ----------------------------------------------------------------------------

    /// <summary>
    /// Told to the parent after each turn: a persistent parent copies the transcript's new lines and, when the
    /// session journals its turns, answers <see cref="TurnJournaled"/> once they are in the journal.
    /// </summary>
    internal sealed record SessionTurnCompleted(string Name, string? SessionId, decimal? CostUsd, string QueryId);

    /// <summary>The parent's answer to <see cref="SessionTurnCompleted"/>: the turn's transcript lines are journaled.</summary>
    internal sealed record TurnJournaled(string QueryId);

    private sealed record JournalTimedOut(string QueryId);

    /// <summary>Makes the actor throw: lets tests prove that a failing session restarts and keeps its conversation.</summary>
    internal sealed record SimulateFailure(string Reason);

    private sealed record QueryTimedOut(string QueryId);
    private sealed record ControlTimedOut(string RequestId);
    private sealed record InitTimedOut(int Generation);
    private sealed record RestartCli(int Generation);
    private sealed record AbandonedTurnElapsed(string QueryId);

    private sealed class StopDeadline
    {
        public static readonly StopDeadline Instance = new();
    }
}
