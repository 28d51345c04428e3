using System.Text.Json;
using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.Event;
using ClaudeActors.Process;
using ClaudeActors.Protocol;
using ClaudeActors.Supervision;

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

    private readonly string _name;
    private readonly SessionOptions _options;
    private readonly RestartPolicy _restartPolicy;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly DateTimeOffset _startedAt = DateTimeOffset.UtcNow;

    private readonly LinkedList<PendingWork> _queue = new();
    private readonly Dictionary<string, Delivery> _deliveries = new();
    private readonly Dictionary<string, PendingControl> _pendingControls = new();
    private readonly List<DeferredControl> _deferredControls = new();
    private readonly List<IActorRef> _readyWaiters = new();
    private readonly Queue<DateTimeOffset> _recentRestarts = new();
    private readonly Queue<string> _recentMalformed = new();

    private SessionOptions _effective;
    private string? _cliPath;
    private IActorRef? _cli;
    private int _cliGeneration;
    private int? _cliPid;
    private string? _initRequestId;
    private JsonElement? _serverInfo;
    private SessionStatus _status = SessionStatus.Initializing;
    private string? _sessionId;
    private bool _conversationPersisted;
    private string? _model;
    private RunningQuery? _current;
    private readonly Dictionary<string, Exception> _cliFailures = new();
    private SessionFailure? _lastFailure;
    private int _restartCount;
    private bool _outputPaused;
    private long _controlCounter;

    public SessionActor(string name, SessionOptions options, RestartPolicy restartPolicy)
    {
        _name = name;
        _options = options;
        _effective = options;
        _restartPolicy = restartPolicy;
        _model = options.Model;
        Active();
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(string name, SessionOptions options, RestartPolicy? restartPolicy = null) =>
        Akka.Actor.Props.Create(() => new SessionActor(name, options, restartPolicy ?? RestartPolicy.Default));

    // A CLI child never restarts in place: it would come back with stale arguments. The session decides.
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(ex =>
    {
        var cause = ex is ActorInitializationException { InnerException: { } inner } ? inner : ex;
        if (cause is CliProcessException cli) _cliFailures[cli.ActorName] = cli;
        return Directive.Stop;
    });

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
        // A fresh conversation gets its id from the host, so the id is known before the first turn and a
        // restart before any turn can reuse it.
        var fresh = _options.Resume is null && !_options.Continue;
        if (fresh)
        {
            _sessionId = _options.SessionId ?? SessionIds.New();
            _effective = _options with { SessionId = _sessionId };
        }
        StartCli(resume: null);
    }

    protected override void PostStop()
    {
        var stopped = new SessionFailure(FailureKind.SessionStopped, $"Session '{_name}' stopped.");
        FailEverything(stopped);
        if (_status != SessionStatus.Stopped) SetStatus(SessionStatus.Stopped);
    }

    private void Active()
    {
        Receive<Query>(HandleQuery);
        Receive<QueryAck>(HandleAck);
        Receive<ClearSession>(_ => Enqueue(new PendingClear(Sender)));
        Receive<Interrupt>(HandleInterrupt);
        Receive<SetModel>(HandleSetModel);
        Receive<SetPermissionMode>(m => SendControl(Sender, "set_permission_mode",
            new JsonObject { ["mode"] = PermissionModes.ToWire(m.Mode) }, ControlKind.SetPermissionMode(m.Mode)));
        Receive<GetMcpStatus>(_ => SendControl(Sender, "mcp_status", new JsonObject(), ControlKind.Plain));
        Receive<RewindFiles>(HandleRewind);
        Receive<GetServerInfo>(_ => Sender.Tell(_serverInfo is { } info
            ? new ControlResult(info, null)
            : new ControlResult(null, _lastFailure ?? new SessionFailure(FailureKind.SessionStopped, "The initialize handshake has not completed yet."))));
        Receive<GetSessionId>(_ => Sender.Tell(new SessionIdReply(_sessionId)));
        Receive<GetSessionInfo>(_ => Sender.Tell(Info()));
        Receive<AwaitReady>(HandleAwaitReady);
        Receive<StopSession>(_ => BeginStop());
        Receive<StopDeadline>(_ => Context.Stop(Self));

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
        });
        Receive<CliStopped>(_ => { });
        Receive<Terminated>(HandleTerminated);

        Receive<QueryTimedOut>(HandleQueryTimeout);
        Receive<ControlTimedOut>(HandleControlTimeout);
        Receive<InitTimedOut>(t =>
        {
            if (t.Generation != _cliGeneration || _status != SessionStatus.Initializing) return;
            _log.Warning("Session {0}: the claude CLI did not answer the initialize request within {1}.", _name, _options.ControlTimeout);
            FailCli(new CliProcessStartException("", $"The claude CLI did not answer the initialize request within {_options.ControlTimeout}."));
        });
        Receive<RestartCli>(r =>
        {
            if (r.Generation == _cliGeneration && _status == SessionStatus.Restarting) StartCli(RestartResumeId());
        });
        Receive<AbandonedTurnElapsed>(a =>
        {
            if (_current is not { Abandoned: true } current || current.Query.QueryId != a.QueryId) return;
            _log.Warning("Session {0}: the CLI did not end an abandoned turn; restarting it.", _name);
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
        var spec = CliCommandBuilder.Build(_effective, _cliPath!, overrides);
        _cli = Context.ActorOf(CliProcessActor.Props(spec), "cli-" + _cliGeneration);
        Context.Watch(_cli);
        _initRequestId = NextRequestId();
        _cli.Tell(new SendFrame(OutboundFrames.ControlRequest(_initRequestId, new JsonObject { ["subtype"] = "initialize" })));
        Timers.StartSingleTimer("init", new InitTimedOut(_cliGeneration), _options.ControlTimeout);
        SetStatus(SessionStatus.Initializing);
    }

    private string? RestartResumeId() =>
        _conversationPersisted && _sessionId is not null && !_options.NoSessionPersistence ? _sessionId : null;

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

        var failure = DescribeCliFailure(cause);
        _lastFailure = failure;
        _log.Warning("Session {0}: {1}", _name, failure);

        // Everyone waiting on this CLI hears about it now, not at their timeout.
        if (_current is { } current)
        {
            if (!current.Abandoned) Finish(current, new QueryFailed(current.Query.QueryId, failure));
            _current = null;
        }
        foreach (var (id, pending) in _pendingControls.ToList())
        {
            Timers.Cancel("control-" + id);
            pending.ReplyTo.Tell(new ControlResult(null, failure));
        }
        _pendingControls.Clear();

        var neverStarted = _serverInfo is null && _restartCount == 0 && _recentRestarts.Count == 0 && failure.Kind == FailureKind.CliStartFailed;
        if (neverStarted || !AllowRestart())
        {
            EnterFailed(neverStarted ? failure : failure with
            {
                Message = $"The claude CLI kept crashing ({_restartPolicy.MaxRestarts} restarts within {_restartPolicy.Window}); giving up. Last: {failure.Message}",
            });
            return;
        }
        _restartCount++;
        var delay = _restartPolicy.Backoff(_recentRestarts.Count - 1);
        SetStatus(SessionStatus.Restarting, failure);
        Timers.StartSingleTimer("restart", new RestartCli(_cliGeneration), delay);
    }

    private bool AllowRestart()
    {
        var now = DateTimeOffset.UtcNow;
        while (_recentRestarts.Count > 0 && now - _recentRestarts.Peek() > _restartPolicy.Window) _recentRestarts.Dequeue();
        if (_recentRestarts.Count >= _restartPolicy.MaxRestarts) return false;
        _recentRestarts.Enqueue(now);
        return true;
    }

    private SessionFailure DescribeCliFailure(Exception? cause)
    {
        var said = _recentMalformed.Count > 0 ? " The CLI said: " + string.Join(" | ", _recentMalformed) : "";
        _recentMalformed.Clear();
        return cause switch
        {
            CliProcessExitedException exited when _serverInfo is null && _restartCount == 0 => new SessionFailure(
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

    private void EnterFailed(SessionFailure failure)
    {
        _lastFailure = failure;
        SetStatus(SessionStatus.Failed, failure);
        FailEverything(failure);
        foreach (var waiter in _readyWaiters) waiter.Tell(new SessionStartFailed(failure));
        _readyWaiters.Clear();
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

    private void FailEverything(SessionFailure failure)
    {
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
        foreach (var (id, pending) in _pendingControls)
        {
            Timers.Cancel("control-" + id);
            pending.ReplyTo.Tell(new ControlResult(null, failure));
        }
        _pendingControls.Clear();
        foreach (var deferred in _deferredControls) deferred.ReplyTo.Tell(new ControlResult(null, failure));
        _deferredControls.Clear();
    }

    private void SetStatus(SessionStatus status, SessionFailure? failure = null)
    {
        var changed = _status != status;
        _status = status;
        if (changed) PublishStatus(failure);
    }

    private void PublishStatus(SessionFailure? failure = null) =>
        Context.System.EventStream.Publish(new SessionStatusChanged(_name, _status, _sessionId, failure));

    private SessionInfo Info() => new(_name, _sessionId, _status, _model, _startedAt, _restartCount,
        _queue.Count, _cliPid, _lastFailure);

    private void HandleAwaitReady(AwaitReady _)
    {
        if (_status is SessionStatus.Ready or SessionStatus.Busy) Sender.Tell(Info());
        else if (_status is SessionStatus.Failed or SessionStatus.Stopped or SessionStatus.Stopping)
            Sender.Tell(new SessionStartFailed(_lastFailure ?? new SessionFailure(FailureKind.SessionStopped, $"Session '{_name}' is {_status}.")));
        else _readyWaiters.Add(Sender);
    }

    private string NextRequestId() => $"req_{++_controlCounter}_{Guid.NewGuid():N}"[..24];

    // ---- internal messages ----------------------------------------------------------------------------

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
