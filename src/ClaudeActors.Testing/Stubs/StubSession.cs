using System.Text.Json;
using Akka.Actor;
using ClaudeActors.Client;
using ClaudeActors.History;
using ClaudeActors.Protocol;
using ClaudeActors.Sessions;

namespace ClaudeActors.Testing;

/// <summary>Ask a <see cref="StubSession"/> for the queries it received. Replies <see cref="ReceivedQueries"/>.</summary>
public sealed record GetReceivedQueries
{
    /// <summary>The single instance.</summary>
    public static readonly GetReceivedQueries Instance = new();
}

/// <summary>The queries a <see cref="StubSession"/> received, in arrival order.</summary>
/// <param name="Queries">The queries.</param>
public sealed record ReceivedQueries(IReadOnlyList<Query> Queries);

/// <summary>
/// An actor that speaks the session protocol (<see cref="Query"/> → <see cref="QueryMessage"/>s, then one
/// <see cref="QueryCompleted"/> or <see cref="QueryFailed"/>; control and info requests) with replies scripted
/// by a <see cref="StubScript"/> — no CLI, no process, no network. Use it wherever code under test takes a
/// session's <see cref="IActorRef"/>, or through the facade with <see cref="Start"/>.
/// </summary>
/// <remarks>
/// Like a real session: queries run one at a time in arrival order (with <see cref="StubReply.WithDelay"/> a
/// turn takes time and later queries wait); <see cref="ClearSession"/> is ordered with queries; invalid queries
/// (empty prompt, non-positive timeout, duplicate id) fail with <see cref="FailureKind.InvalidRequest"/>; a
/// query's <see cref="Query.Timeout"/> runs from its arrival; a result with <c>is_error</c> fails the query.
/// Unlike one: <see cref="QueryAck"/> is ignored (no flow control), <see cref="Interrupt"/> of a running turn ends it at once,
/// and <see cref="StopSession"/> stops at once.
/// </remarks>
public sealed class StubSession : ReceiveActor, IWithTimers
{
    private readonly StubScript _script;
    private readonly string _name;
    private readonly DateTimeOffset _startedAt = DateTimeOffset.UtcNow;
    private readonly LinkedList<Pending> _queue = new();
    private readonly List<ClaudeMessage> _conversation = new();
    private Running? _current;
    private string _sessionId;
    private string _model;

    /// <summary>Creates the stub; use <see cref="Props"/>.</summary>
    /// <param name="script">The replies.</param>
    /// <param name="name">The name <see cref="SessionInfo"/> reports.</param>
    public StubSession(StubScript script, string name)
    {
        _script = script;
        _name = name;
        _sessionId = script.SessionId;
        _model = script.Model;

        Receive<Query>(HandleQuery);
        Receive<Step>(step =>
        {
            if (_current?.Query.QueryId != step.QueryId) return;
            Advance();
            StartNext();
        });
        Receive<TimedOut>(HandleTimeout);
        Receive<QueryAck>(_ => { });
        Receive<Interrupt>(HandleInterrupt);
        Receive<SetModel>(set =>
        {
            if (string.IsNullOrWhiteSpace(set.Model))
            {
                Sender.Tell(new ControlResult(null, new SessionFailure(FailureKind.InvalidRequest, "The model must not be empty.")));
                return;
            }
            _model = set.Model;
            Sender.Tell(Success(new { model = set.Model }));
        });
        Receive<SetPermissionMode>(set => Sender.Tell(Success(new { mode = PermissionModes.ToWire(set.Mode) })));
        Receive<GetMcpStatus>(_ => Sender.Tell(Success(new { mcpServers = Array.Empty<object>() })));
        Receive<GetServerInfo>(_ => Sender.Tell(Success(new
        {
            commands = Array.Empty<object>(),
            output_style = "default",
            models = new[] { new { value = _model, displayName = _model } },
            account = new { tokenSource = "none", apiKeySource = "stub" },
            claude_code_version = "stub",
        })));
        Receive<RewindFiles>(_ => Sender.Tell(Success(new { canRewind = true, filesChanged = Array.Empty<string>() })));
        Receive<GetSessionId>(_ => Sender.Tell(new SessionIdReply(_sessionId)));
        Receive<GetSessionInfo>(_ => Sender.Tell(Info()));
        Receive<AwaitReady>(_ => Sender.Tell(Info()));
        Receive<GetConversation>(_ => Sender.Tell(new ConversationResult(
            new Conversation(_sessionId, "stub:" + _sessionId, _conversation.ToArray(), []), null)));
        Receive<ClearSession>(_ =>
        {
            _queue.AddLast(new PendingClear(Sender));
            StartNext();
        });
        Receive<GetReceivedQueries>(_ => Sender.Tell(new ReceivedQueries(_script.ReceivedQueries)));
        Receive<StopSession>(_ => Context.Stop(Self));
    }

    /// <summary>Akka's timer scheduler (set by Akka).</summary>
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Props for a stub answering from <paramref name="script"/>.</summary>
    /// <param name="script">The replies.</param>
    /// <param name="name">The name <see cref="SessionInfo"/> reports.</param>
    public static Props Props(StubScript script, string name = "stub")
    {
        ArgumentNullException.ThrowIfNull(script);
        return Akka.Actor.Props.Create(() => new StubSession(script, name));
    }

    /// <summary>
    /// Starts a stub as a top-level actor named <paramref name="name"/> (unique per system) and wraps it in the
    /// facade, so plain .NET code under test can use <see cref="ClaudeSession.FinalTextAsync"/>,
    /// <see cref="ClaudeSession.StreamAsync"/> and the rest. Stop it with <c>session.Actor.Tell(StopSession.Instance)</c>
    /// or with the ActorSystem (<see cref="ClaudeSession.StopAsync"/> only stops sessions of the supervisor).
    /// </summary>
    /// <param name="system">The ActorSystem (a TestKit's <c>Sys</c>).</param>
    /// <param name="script">The replies.</param>
    /// <param name="name">The actor's and the session's name.</param>
    public static ClaudeSession Start(ActorSystem system, StubScript script, string name = "stub")
    {
        ArgumentNullException.ThrowIfNull(system);
        // Called by test code, never from inside an actor.
#pragma warning disable AK1008
        return ClaudeSession.For(system, name, system.ActorOf(Props(script, name), name));
#pragma warning restore AK1008
    }

    /// <inheritdoc />
    protected override void PostStop()
    {
        var stopped = new SessionFailure(FailureKind.SessionStopped, $"Session '{_name}' stopped.");
        if (_current is { } current) current.ReplyTo.Tell(new QueryFailed(current.Query.QueryId, stopped));
        _current = null;
        foreach (var pending in _queue)
            if (pending is PendingQuery q) q.ReplyTo.Tell(new QueryFailed(q.Query.QueryId, stopped));
        _queue.Clear();
        base.PostStop();
    }

    private void HandleQuery(Query query)
    {
        _script.Record(query);
        var replyTo = query.ReplyTo ?? Sender;
        var invalid = string.IsNullOrWhiteSpace(query.Prompt) ? "The prompt must not be empty."
            : query.AckWindow is <= 0 ? "The ack window must be positive."
            : query.Timeout is { } t && t <= TimeSpan.Zero ? "The timeout must be positive."
            : _current?.Query.QueryId == query.QueryId || _queue.Any(p => p is PendingQuery q && q.Query.QueryId == query.QueryId)
                ? $"A query with id '{query.QueryId}' is already queued or running."
            : null;
        if (invalid is not null)
        {
            replyTo.Tell(new QueryFailed(query.QueryId, new SessionFailure(FailureKind.InvalidRequest, invalid)));
            return;
        }
        if (query.Timeout is { } timeout) Timers.StartSingleTimer(TimerKey(query.QueryId), new TimedOut(query.QueryId), timeout);
        _queue.AddLast(new PendingQuery(query, replyTo));
        StartNext();
    }

    private void StartNext()
    {
        while (_current is null && _queue.First is { } node)
        {
            _queue.RemoveFirst();
            switch (node.Value)
            {
                case PendingClear clear:
                    _sessionId = Guid.NewGuid().ToString("D");
                    _conversation.Clear();
                    clear.ReplyTo.Tell(SessionCleared.Instance);
                    break;
                case PendingQuery pending:
                    var reply = _script.Next(pending.Query.Prompt);
                    _current = new Running(pending.Query, pending.ReplyTo, reply);
                    _conversation.Add(Stamp(ClaudeMessages.UserText(pending.Query.Prompt)));
                    if (reply.Delay > TimeSpan.Zero) ScheduleStep();
                    else
                        while (_current is not null) Advance();
                    break;
            }
        }
    }

    /// <summary>Sends the running turn's next message, or ends the turn when none is left (never starts the next one).</summary>
    private void Advance()
    {
        var current = _current!;
        var messages = current.Reply.Messages;
        if (current.Next < messages.Count)
        {
            var message = Stamp(messages[current.Next++]);
            if (message is AssistantMessage or UserMessage) _conversation.Add(message);
            if (current.Query.StreamMessages) current.ReplyTo.Tell(new QueryMessage(current.Query.QueryId, message));
            if (current.Next < messages.Count || current.Reply.Failure is not null)
            {
                if (current.Reply.Delay > TimeSpan.Zero) ScheduleStep();
                return;
            }
            Finish(current, message is ResultMessage result ? Terminal(current.Query.QueryId, result)
                : new QueryFailed(current.Query.QueryId, new SessionFailure(FailureKind.SessionCrashed, "The scripted turn ended without a result.")));
            return;
        }
        Finish(current, current.Reply.Failure is { } failure
            ? new QueryFailed(current.Query.QueryId, failure with { Result = failure.Result is { } r ? (ResultMessage)Stamp(r) : null })
            : new QueryFailed(current.Query.QueryId, new SessionFailure(FailureKind.SessionCrashed, "The scripted turn ended without a result.")));
    }

    /// <summary>Like a real session: a result with <c>is_error</c> fails the query and carries the result.</summary>
    private static object Terminal(string queryId, ResultMessage result)
    {
        if (!result.IsError) return new QueryCompleted(queryId, result);
        var interrupted = result.TerminalReason == "aborted_streaming";
        return new QueryFailed(queryId, new SessionFailure(
            interrupted ? FailureKind.Interrupted : FailureKind.ApiError,
            interrupted ? "The query was interrupted." : $"The turn failed ({result.Subtype}): {result.Result ?? result.Subtype}")
        {
            Result = result,
        });
    }

    private void Finish(Running current, object terminal)
    {
        Timers.Cancel(TimerKey(current.Query.QueryId));
        Timers.Cancel("step");
        current.ReplyTo.Tell(terminal);
        _current = null;
    }

    private void ScheduleStep() => Timers.StartSingleTimer("step", new Step(_current!.Query.QueryId), _current.Reply.Delay);

    private void HandleTimeout(TimedOut timeout)
    {
        var failure = new SessionFailure(FailureKind.Timeout, "The query did not complete within its timeout.");
        if (_current is { } current && current.Query.QueryId == timeout.QueryId)
        {
            Finish(current, new QueryFailed(current.Query.QueryId, failure));
            StartNext();
            return;
        }
        if (RemoveQueued(timeout.QueryId) is { } queued) queued.ReplyTo.Tell(new QueryFailed(queued.Query.QueryId, failure));
    }

    private void HandleInterrupt(Interrupt interrupt)
    {
        if (interrupt.QueryId is { } id && RemoveQueued(id) is { } queued)
        {
            Timers.Cancel(TimerKey(id));
            queued.ReplyTo.Tell(new QueryFailed(id, new SessionFailure(FailureKind.Interrupted, "The query was interrupted before it started.")));
        }
        else if (_current is { } current && (interrupt.QueryId is null || interrupt.QueryId == current.Query.QueryId))
        {
            var result = (ResultMessage)Stamp(ClaudeMessages.Result("", isError: true, subtype: "error_during_execution") with { TerminalReason = "aborted_streaming" });
            Finish(current, new QueryFailed(current.Query.QueryId, new SessionFailure(FailureKind.Interrupted, "The query was interrupted.") { Result = result }));
        }
        else
        {
            // As a real session: nothing to interrupt is an invalid request (the facade's InterruptAsync returns false).
            Sender.Tell(new ControlResult(null, new SessionFailure(FailureKind.InvalidRequest, "No such query is running.")));
            return;
        }
        Sender.Tell(Success(new { still_queued = Array.Empty<string>() }));
        StartNext();
    }

    private PendingQuery? RemoveQueued(string queryId)
    {
        for (var node = _queue.First; node is not null; node = node.Next)
        {
            if (node.Value is PendingQuery q && q.Query.QueryId == queryId)
            {
                _queue.Remove(node);
                return q;
            }
        }
        return null;
    }

    /// <summary>Messages built without a session id get the stub's; an init line without a model gets the stub's model.</summary>
    private ClaudeMessage Stamp(ClaudeMessage message) => message switch
    {
        SystemMessage { SessionId: null } m => m with { SessionId = _sessionId, Model = m.IsInit ? m.Model ?? _model : m.Model },
        SystemMessage { IsInit: true, Model: null } m => m with { Model = _model },
        AssistantMessage { SessionId: null } m => m with { SessionId = _sessionId },
        UserMessage { SessionId: null } m => m with { SessionId = _sessionId },
        ResultMessage { SessionId: null } m => m with { SessionId = _sessionId },
        StreamEventMessage { SessionId: null } m => m with { SessionId = _sessionId },
        _ => message,
    };

    private SessionInfo Info() => new(_name, _sessionId, _current is null ? SessionStatus.Ready : SessionStatus.Busy, _model,
        _startedAt, 0, _queue.Count(p => p is PendingQuery), null, null);

    private static ControlResult Success(object response) => new(JsonSerializer.SerializeToElement(response), null);

    private static string TimerKey(string queryId) => "timeout-" + queryId;

    private abstract record Pending(IActorRef ReplyTo);

    private sealed record PendingQuery(Query Query, IActorRef ReplyTo) : Pending(ReplyTo);

    private sealed record PendingClear(IActorRef ReplyTo) : Pending(ReplyTo);

    private sealed record Step(string QueryId);

    private sealed record TimedOut(string QueryId);

    private sealed class Running(Query query, IActorRef replyTo, StubReply reply)
    {
        public Query Query { get; } = query;
        public IActorRef ReplyTo { get; } = replyTo;
        public StubReply Reply { get; } = reply;
        public int Next { get; set; }
    }
}
