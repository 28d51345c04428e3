using System.Text.Json;
using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.Event;
using ClaudeActors.Process;
using ClaudeActors.Protocol;

namespace ClaudeActors.Sessions;

// Queries, streaming delivery with flow control, and control requests of a SessionActor.
internal sealed partial class SessionActor
{
    private void HandleQuery(Query query)
    {
        var replyTo = query.ReplyTo ?? Sender;
        if (_status is SessionStatus.Failed or SessionStatus.Stopping or SessionStatus.Stopped)
        {
            replyTo.Tell(new QueryFailed(query.QueryId, _lastFailure ?? new SessionFailure(FailureKind.SessionStopped, $"Session '{_name}' is {_status}.")));
            return;
        }
        var invalid = string.IsNullOrWhiteSpace(query.Prompt) ? "The prompt must not be empty."
            : query.AckWindow is <= 0 ? "The ack window must be positive."
            : query.Timeout is { } t && t <= TimeSpan.Zero ? "The timeout must be positive."
            : IsKnownQuery(query.QueryId) ? $"A query with id '{query.QueryId}' is already queued or running."
            : null;
        if (invalid is not null)
        {
            replyTo.Tell(new QueryFailed(query.QueryId, new SessionFailure(FailureKind.InvalidRequest, invalid)));
            return;
        }
        Timers.StartSingleTimer("query-" + query.QueryId, new QueryTimedOut(query.QueryId), query.Timeout ?? _options.Timeout);
        Enqueue(new PendingQuery(query, replyTo));
    }

    private bool IsKnownQuery(string queryId) =>
        _current?.Query.QueryId == queryId || _journaling?.Current.Query.QueryId == queryId || _deliveries.ContainsKey(queryId) ||
        _queue.Any(w => w is PendingQuery q && q.Query.QueryId == queryId);

    private void Enqueue(PendingWork work)
    {
        _queue.AddLast(work);
        StartNext();
    }

    private void StartNext()
    {
        if (_status != SessionStatus.Ready || _current is not null || _journaling is not null || _cli is null) return;
        if (_queue.First is not { } node) return;
        _queue.RemoveFirst();
        switch (node.Value)
        {
            case PendingQuery pending:
                _current = new RunningQuery(pending.Query, pending.ReplyTo)
                {
                    Activity = Telemetry.ClaudeActorsTelemetry.StartTurn(_name, _memory.SessionId, _memory.Model),
                };
                _deliveries[pending.Query.QueryId] = new Delivery(pending.ReplyTo, pending.Query.AckWindow);
                SetStatus(SessionStatus.Busy);
                _cli.Tell(new SendFrame(OutboundFrames.UserText(pending.Query.Prompt)));
                break;
            case PendingClear clear:
                Clear();
                clear.ReplyTo.Tell(SessionCleared.Instance);
                break;
        }
    }

    private void Clear()
    {
        // A new CLI without --resume: the only way to be sure the next turn carries no earlier context.
        _memory.SessionId = SessionIds.New();
        _memory.ConversationPersisted = false;
        _memory.Effective = _memory.Effective with { Resume = null, Continue = false, ForkSession = false, SessionId = _memory.SessionId };
        if (_cli is { } old)
        {
            Context.Unwatch(old);
            old.Tell(new ShutdownCli(StopGrace));
            _cli = null;
        }
        StartCli(resume: null);
        PublishStatus();
    }

    private void HandleOutput(ClaudeMessage message)
    {
        switch (message)
        {
            case ControlResponseMessage response:
                HandleControlResponse(response.Response);
                return;
            case ControlRequestMessage request:
                HandleCliControlRequest(request);
                return;
            case ControlCancelRequestMessage cancel:
                CancelCallback(cancel.RequestId);
                return;
        }

        if (message is UnknownMessage { Type: "control_response" } badResponse)
        {
            FailUnreadableControlResponse(badResponse);
            return;
        }
        TrackSessionId(message);
        if (message is SystemMessage system)
        {
            if (system.IsInit && system.Model is not null) _memory.Model = system.Model;
            if (system.Subtype == "api_retry" && IsAuthenticationFailure(system) && _current is { Abandoned: false } authFailed)
                Abandon(authFailed, new SessionFailure(FailureKind.NotAuthenticated,
                    "The Anthropic API refused the credentials (authentication_failed). Set ANTHROPIC_API_KEY or log in with `claude`."));
        }

        if (_current is not { } current) return; // outside a turn, e.g. the echo of set_model
        var result = message switch
        {
            ResultMessage r => r,
            UnknownMessage { Type: "result" } unreadable => UnreadableResult(unreadable),
            _ => null,
        };
        // A journaled turn's result line goes out with its terminal message, once the journal has it.
        if (!current.Abandoned && current.Query.StreamMessages && !(result is not null && _journalTurns))
            Deliver(current.Query.QueryId, new QueryMessage(current.Query.QueryId, message));
        if (result is not null) EndTurn(current, result, message);
    }

    // A result line the typed model could not read still ends the turn: as a failure, never as a wait.
    private static ResultMessage UnreadableResult(UnknownMessage raw) => new()
    {
        Subtype = raw.Raw.TryGetProperty("subtype", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString()! : "unreadable",
        IsError = true,
        Result = "The CLI's result line could not be read.",
        SessionId = raw.Raw.TryGetProperty("session_id", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null,
        TerminalReason = "unreadable_result",
    };

    private void FailUnreadableControlResponse(UnknownMessage raw)
    {
        if (!raw.Raw.TryGetProperty("response", out var body) || body.ValueKind != JsonValueKind.Object ||
            !body.TryGetProperty("request_id", out var idElement) || idElement.ValueKind != JsonValueKind.String) return;
        var requestId = idElement.GetString()!;
        if (requestId == _initRequestId && _status == SessionStatus.Initializing)
        {
            FailCli(new CliProcessStartException("", "The CLI's answer to the initialize request could not be read."));
            return;
        }
        if (!_pendingControls.Remove(requestId, out var pending)) return;
        Timers.Cancel("control-" + requestId);
        pending.ReplyTo.Tell(new ControlResult(null, new SessionFailure(FailureKind.ProtocolError, "The CLI's answer could not be read.")));
    }

    private static bool IsAuthenticationFailure(SystemMessage system) =>
        system.ExtensionData is { } extra && extra.TryGetValue("error", out var error) &&
        error.ValueKind == JsonValueKind.String && error.GetString() == "authentication_failed";

    private void TrackSessionId(ClaudeMessage message)
    {
        var id = message switch
        {
            SystemMessage m => m.SessionId,
            AssistantMessage m => m.SessionId,
            UserMessage m => m.SessionId,
            ResultMessage m => m.SessionId,
            StreamEventMessage m => m.SessionId,
            _ => null,
        };
        if (string.IsNullOrEmpty(id) || id == _memory.SessionId) return;
        _memory.SessionId = id;
        PublishStatus();
    }

    private void EndTurn(RunningQuery current, ResultMessage result, ClaudeMessage resultLine)
    {
        _current = null;
        Timers.Cancel("query-" + current.Query.QueryId);
        Timers.Cancel("abandoned-" + current.Query.QueryId);
        if (!_options.NoSessionPersistence) _memory.ConversationPersisted = true;
        Context.Parent.Tell(new SessionTurnCompleted(_name, _memory.SessionId, result.TotalCostUsd, current.Query.QueryId));
        if (_journalTurns && !current.Abandoned)
        {
            // Busy until the parent has journaled the turn: the next query waits, the caller gets its answer then.
            _journaling = new JournalingTurn(current, resultLine, TerminalFor(current, result));
            Timers.StartSingleTimer("journal", new JournalTimedOut(current.Query.QueryId), JournalTimeout);
            return;
        }
        if (!current.Abandoned) Finish(current, TerminalFor(current, result));
        if (_status == SessionStatus.Busy) SetStatus(SessionStatus.Ready);
        StartNext();
    }

    private void CompleteJournaledTurn()
    {
        DeliverJournalingTurn();
        if (_status == SessionStatus.Busy) SetStatus(SessionStatus.Ready);
        StartNext();
    }

    private void DeliverJournalingTurn()
    {
        if (_journaling is not { } turn) return;
        _journaling = null;
        Timers.Cancel("journal");
        var id = turn.Current.Query.QueryId;
        if (turn.Current.Query.StreamMessages) Deliver(id, new QueryMessage(id, turn.ResultLine));
        Finish(turn.Current, turn.Terminal);
    }

    private static object TerminalFor(RunningQuery current, ResultMessage result)
    {
        var id = current.Query.QueryId;
        if (!result.IsError) return new QueryCompleted(id, result);
        var interrupted = current.InterruptRequested || result.TerminalReason == "aborted_streaming";
        var unreadable = result.TerminalReason == "unreadable_result";
        var text = result.Result ?? string.Join("; ", ErrorTexts(result));
        var unauthenticated = !interrupted && (result.ApiErrorStatus is 401 ||
            text.Contains("Not logged in", StringComparison.OrdinalIgnoreCase) ||
            text.Contains("authentication", StringComparison.OrdinalIgnoreCase) ||
            text.Contains("Invalid API key", StringComparison.OrdinalIgnoreCase));
        return new QueryFailed(id, new SessionFailure(
            interrupted ? FailureKind.Interrupted : unreadable ? FailureKind.ProtocolError
                : unauthenticated ? FailureKind.NotAuthenticated : FailureKind.ApiError,
            interrupted ? "The query was interrupted." : $"The turn failed: {text}")
        {
            Result = result,
        });
    }

    private static IEnumerable<string> ErrorTexts(ResultMessage result) =>
        result.Errors is { ValueKind: JsonValueKind.Array } errors
            ? errors.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString() ?? "" : e.GetRawText())
            : [result.Subtype];

    /// <summary>The requester gets its terminal message now; the CLI's turn is interrupted and its end is swallowed.</summary>
    private void Abandon(RunningQuery current, SessionFailure failure)
    {
        Finish(current, new QueryFailed(current.Query.QueryId, failure));
        current.Abandoned = true;
        SendControlFrame("interrupt", new JsonObject(), ActorRefs.Nobody, ControlKind.Plain);
        Timers.StartSingleTimer("abandoned-" + current.Query.QueryId, new AbandonedTurnElapsed(current.Query.QueryId), AbandonedTurnGrace);
    }

    private void HandleCancel(CancelQuery cancel)
    {
        // Whatever was not delivered has no reader any more: drop it, so a paused stdout resumes.
        _deliveries.Remove(cancel.QueryId);
        if (RemoveQueued(cancel.QueryId) is not null) return;
        if (_current is { Abandoned: false } current && current.Query.QueryId == cancel.QueryId)
            Abandon(current, new SessionFailure(FailureKind.Interrupted, "The requester cancelled the query."));
        UpdateBackpressure();
    }

    private void HandleQueryTimeout(QueryTimedOut timeout)
    {
        var failure = new SessionFailure(FailureKind.Timeout, $"The query did not complete within its timeout.");
        if (_current is { Abandoned: false } current && current.Query.QueryId == timeout.QueryId)
        {
            Abandon(current, failure);
            return;
        }
        if (RemoveQueued(timeout.QueryId) is { } queued) queued.ReplyTo.Tell(new QueryFailed(queued.Query.QueryId, failure));
    }

    private PendingQuery? RemoveQueued(string queryId)
    {
        for (var node = _queue.First; node is not null; node = node.Next)
        {
            if (node.Value is PendingQuery q && q.Query.QueryId == queryId)
            {
                _queue.Remove(node);
                Timers.Cancel("query-" + queryId);
                return q;
            }
        }
        return null;
    }

    private void HandleInterrupt(Interrupt interrupt)
    {
        if (interrupt.QueryId is { } id && RemoveQueued(id) is { } queued)
        {
            queued.ReplyTo.Tell(new QueryFailed(id, new SessionFailure(FailureKind.Interrupted, "The query was interrupted before it started.")));
            Sender.Tell(new ControlResult(null, null));
            return;
        }
        if (_current is { Abandoned: false } current && (interrupt.QueryId is null || interrupt.QueryId == current.Query.QueryId))
        {
            current.InterruptRequested = true;
            SendControlFrame("interrupt", new JsonObject(), Sender, ControlKind.Plain);
            return;
        }
        Sender.Tell(new ControlResult(null, new SessionFailure(FailureKind.InvalidRequest, "No such query is running.")));
    }

    private void HandleSetModel(SetModel setModel)
    {
        if (string.IsNullOrWhiteSpace(setModel.Model))
        {
            Sender.Tell(new ControlResult(null, new SessionFailure(FailureKind.InvalidRequest, "The model must not be empty.")));
            return;
        }
        if (_serverInfo is { } info && KnownModels(info) is { Count: > 0 } models &&
            !models.Contains(setModel.Model, StringComparer.OrdinalIgnoreCase))
        {
            Sender.Tell(new ControlResult(null, new SessionFailure(FailureKind.InvalidRequest,
                $"Unknown model '{setModel.Model}'. The CLI knows: {string.Join(", ", models)}.")));
            return;
        }
        SendControl(Sender, "set_model", new JsonObject { ["model"] = setModel.Model }, ControlKind.SetModel(setModel.Model));
    }

    private static List<string> KnownModels(JsonElement info)
    {
        var names = new List<string>();
        if (!info.TryGetProperty("models", out var models) || models.ValueKind != JsonValueKind.Array) return names;
        foreach (var model in models.EnumerateArray())
        {
            foreach (var field in (ReadOnlySpan<string>)["value", "resolvedModel"])
                if (model.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } s)
                    names.Add(s);
        }
        return names.Distinct(StringComparer.OrdinalIgnoreCase).ToList();
    }

    private void HandleRewind(RewindFiles rewind)
    {
        if (!_options.EnableFileCheckpointing)
        {
            Sender.Tell(new ControlResult(null, new SessionFailure(FailureKind.InvalidRequest,
                "rewind_files needs SessionOptions.EnableFileCheckpointing.")));
            return;
        }
        if (string.IsNullOrWhiteSpace(rewind.UserMessageId))
        {
            Sender.Tell(new ControlResult(null, new SessionFailure(FailureKind.InvalidRequest, "A user message id is required.")));
            return;
        }
        SendControl(Sender, "rewind_files",
            new JsonObject { ["user_message_id"] = rewind.UserMessageId, ["dry_run"] = rewind.DryRun }, ControlKind.Plain);
    }

    private void SendControl(IActorRef replyTo, string subtype, JsonObject request, ControlKind kind)
    {
        switch (_status)
        {
            case SessionStatus.Failed or SessionStatus.Stopping or SessionStatus.Stopped:
                replyTo.Tell(new ControlResult(null, _lastFailure ?? new SessionFailure(FailureKind.SessionStopped, $"Session '{_name}' is {_status}.")));
                return;
            case SessionStatus.Initializing or SessionStatus.Restarting:
                _deferredControls.Add(new DeferredControl(replyTo, subtype, request, kind));
                return;
            default:
                SendControlFrame(subtype, request, replyTo, kind);
                return;
        }
    }

    private void SendControlFrame(string subtype, JsonObject request, IActorRef replyTo, ControlKind kind)
    {
        if (_cli is null)
        {
            replyTo.Tell(new ControlResult(null, new SessionFailure(FailureKind.CliCrashed, "No CLI is running.")));
            return;
        }
        var id = NextRequestId();
        request["subtype"] = subtype;
        _pendingControls[id] = new PendingControl(replyTo, kind);
        Timers.StartSingleTimer("control-" + id, new ControlTimedOut(id), _options.ControlTimeout);
        _cli.Tell(new SendFrame(OutboundFrames.ControlRequest(id, request)));
    }

    private void HandleControlResponse(ControlResponseBody body)
    {
        if (body.RequestId == _initRequestId && _status == SessionStatus.Initializing)
        {
            OnInitialized(body);
            return;
        }
        if (!_pendingControls.Remove(body.RequestId, out var pending))
        {
            Log.Debug("Session {0}: a control response for unknown request {1} was ignored.", _name, body.RequestId);
            return;
        }
        Timers.Cancel("control-" + body.RequestId);
        if (!body.IsSuccess)
        {
            pending.ReplyTo.Tell(new ControlResult(null, new SessionFailure(FailureKind.ControlRequestFailed,
                body.Error ?? "The CLI refused the request.")));
            return;
        }
        switch (pending.Kind)
        {
            case ControlKind.SetModelKind setModel:
                _memory.Effective = _memory.Effective with { Model = setModel.Model };
                _memory.Model = body.Response is { ValueKind: JsonValueKind.Object } r && r.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String
                    ? m.GetString()
                    : setModel.Model;
                break;
            case ControlKind.SetPermissionModeKind mode:
                _memory.Effective = _memory.Effective with { PermissionMode = mode.Mode };
                break;

        }
        pending.ReplyTo.Tell(new ControlResult(body.Response, null));
    }

    private void HandleControlTimeout(ControlTimedOut timeout)
    {
        if (!_pendingControls.Remove(timeout.RequestId, out var pending)) return;
        pending.ReplyTo.Tell(new ControlResult(null, new SessionFailure(FailureKind.Timeout,
            $"The CLI did not answer the control request within {_options.ControlTimeout}.")));
    }

    // ---- delivery with flow control ---------------------------------------------------------------------

    private void Deliver(string queryId, QueryMessage message)
    {
        if (!_deliveries.TryGetValue(queryId, out var delivery)) return;
        if (delivery.Outbox.Count == 0 && delivery.HasCredit)
        {
            delivery.ReplyTo.Tell(message);
            delivery.Delivered++;
            return;
        }
        delivery.Outbox.Enqueue(message);
        UpdateBackpressure();
    }

    private void Finish(RunningQuery current, object terminal)
    {
        if (!current.Reported)
        {
            current.Reported = true;
            Telemetry.ClaudeActorsTelemetry.TurnEnded(current.Activity, current.Started.Elapsed,
                (terminal as QueryCompleted)?.Result ?? (terminal as QueryFailed)?.Failure.Result,
                (terminal as QueryFailed)?.Failure, _memory.Model);
        }
        var id = current.Query.QueryId;
        if (!_deliveries.TryGetValue(id, out var delivery) || delivery.Outbox.Count == 0)
        {
            _deliveries.Remove(id);
            current.ReplyTo.Tell(terminal);
            return;
        }
        delivery.Outbox.Enqueue(terminal);
        delivery.Terminal = true;
    }

    private void HandleAck(QueryAck ack)
    {
        if (!_deliveries.TryGetValue(ack.QueryId, out var delivery)) return;
        delivery.Acked += Math.Max(0, ack.Count);
        while (delivery.Outbox.Count > 0)
        {
            var next = delivery.Outbox.Peek();
            if (next is QueryMessage && !delivery.HasCredit) break;
            delivery.Outbox.Dequeue();
            delivery.ReplyTo.Tell(next);
            if (next is QueryMessage) delivery.Delivered++;
        }
        if (delivery.Outbox.Count == 0 && delivery.Terminal) _deliveries.Remove(ack.QueryId);
        UpdateBackpressure();
    }

    private void UpdateBackpressure()
    {
        var largest = _deliveries.Count == 0 ? 0 : _deliveries.Values.Max(d => d.Outbox.Count);
        if (!_outputPaused && largest > OutboxHighWater)
        {
            _outputPaused = true;
            _cli?.Tell(new PauseCliOutput(true));
            Log.Debug("Session {0}: a consumer is {1} messages behind; pausing the CLI's output.", _name, largest);
        }
        else if (_outputPaused && largest <= OutboxLowWater)
        {
            _outputPaused = false;
            _cli?.Tell(new PauseCliOutput(false));
        }
    }

    // ---- state records ----------------------------------------------------------------------------------

    private abstract record PendingWork;

    private sealed record PendingQuery(Query Query, IActorRef ReplyTo) : PendingWork;

    private sealed record PendingClear(IActorRef ReplyTo) : PendingWork;

    private sealed class RunningQuery(Query query, IActorRef replyTo)
    {
        public Query Query { get; } = query;
        public IActorRef ReplyTo { get; } = replyTo;
        public bool Abandoned { get; set; }
        public bool InterruptRequested { get; set; }
        public bool Reported { get; set; }
        public System.Diagnostics.Activity? Activity { get; init; }
        public System.Diagnostics.Stopwatch Started { get; } = System.Diagnostics.Stopwatch.StartNew();
    }

    /// <summary>A finished turn whose answer waits for the parent's journal (<see cref="TurnJournaled"/>).</summary>
    private sealed record JournalingTurn(RunningQuery Current, ClaudeMessage ResultLine, object Terminal);

    private sealed class Delivery(IActorRef replyTo, int? window)
    {
        public IActorRef ReplyTo { get; } = replyTo;
        public Queue<object> Outbox { get; } = new();
        public long Delivered { get; set; }
        public long Acked { get; set; }
        public bool Terminal { get; set; }
        public bool HasCredit => window is null || Delivered - Acked < window;
    }

    private sealed record PendingControl(IActorRef ReplyTo, ControlKind Kind);

    private sealed record DeferredControl(IActorRef ReplyTo, string Subtype, JsonObject Request, ControlKind Kind);

    private abstract record ControlKind
    {
        public static readonly ControlKind Plain = new PlainKind();
        public static ControlKind SetModel(string model) => new SetModelKind(model);
        public static ControlKind SetPermissionMode(PermissionMode mode) => new SetPermissionModeKind(mode);

        public sealed record PlainKind : ControlKind;
        public sealed record SetModelKind(string Model) : ControlKind;
        public sealed record SetPermissionModeKind(PermissionMode Mode) : ControlKind;

    }
}
