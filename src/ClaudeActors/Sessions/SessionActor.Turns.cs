using Akka.Actor;
using Akka.Event;
using ClaudeActors.Process;
using ClaudeActors.Protocol;

namespace ClaudeActors.Sessions;

// Queries: the queue, the CLI's output during a turn, how a turn ends, and its delivery with flow control.
internal sealed partial class SessionActor
{
    private void ReceiveTurns()
    {
        Receive<Query>(HandleQuery);
        Receive<QueryAck>(ack => _deliveries.Ack(ack.QueryId, ack.Count));
        Receive<ClearSession>(_ => Enqueue(new PendingClear(Sender)));
        Receive<Interrupt>(HandleInterrupt);
        Receive<CancelQuery>(HandleCancel);
        Receive<QueryTimedOut>(HandleQueryTimeout);
        Receive<TurnJournaled>(j => CompleteJournaledTurn(j.QueryId, timedOut: false));
        Receive<JournalTimedOut>(t => CompleteJournaledTurn(t.QueryId, timedOut: true));
        Receive<AbandonedTurnElapsed>(a =>
        {
            if (_turns.Current is not { Abandoned: true } current || current.Query.QueryId != a.QueryId) return;
            Log.Warning("Session {0}: the CLI did not end an abandoned turn; restarting it.", _name);
            FailCli(new CliExited(null, "The turn did not end after an interrupt."));
        });
    }

    private void HandleQuery(Query query)
    {
        Telemetry.TurnTrace.Mark("session.query");
        var replyTo = query.ReplyTo ?? Sender;
        if (RefusedAsEnding(replyTo, f => new QueryFailed(query.QueryId, f))) return;
        if (TurnQueue.Invalid(query, known: _turns.Contains(query.QueryId) || _deliveries.IsOpen(query.QueryId)) is { } invalid)
        {
            replyTo.Tell(new QueryFailed(query.QueryId, new SessionFailure(FailureKind.InvalidRequest, invalid)));
            return;
        }
        Timers.StartSingleTimer("query-" + query.QueryId, new QueryTimedOut(query.QueryId), query.Timeout ?? _options.Timeout);
        Enqueue(new PendingQuery(query, replyTo));
    }

    private void Enqueue(PendingWork work)
    {
        _turns.Enqueue(work);
        StartNext();
    }

    private void StartNext()
    {
        if (_turns.Count > 0 && WakeIfPassivated()) return;
        if (_status != SessionStatus.Ready || _cli is null || HoldNextTurn()) return;
        switch (_turns.TakeNext())
        {
            case PendingQuery pending:
                var replyTo = pending.ReplyTo;
                _turns.Begin(pending, Telemetry.ClaudeActorsTelemetry.StartTurn(_name, _memory.SessionId, _memory.Model));
                _deliveries.Open(pending.Query.QueryId, message => replyTo.Tell(message), pending.Query.AckWindow);
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
        _memory.Clear();
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
        if (Telemetry.TurnTrace.Enabled) Telemetry.TurnTrace.Mark("session.line:" + message.Type);
        switch (message)
        {
            case ControlResponseMessage response:
                HandleControlResponse(response.Response);
                return;
            case ControlRequestMessage request:
                HandleCliControlRequest(request);
                return;
            case ControlCancelRequestMessage cancel:
                if (_callbacks.Withdraw(cancel.RequestId) || _mcp.Withdraw(cancel.RequestId)) Log.Debug("Session {0}: the CLI withdrew its request {1}.", _name, cancel.RequestId);
                return;
            case UnknownMessage { Type: "control_response" } badResponse:
                FailUnreadableControlResponse(badResponse);
                return;
            case TranscriptMirrorMessage mirror:
                // Never a caller's message: the parent journals it, in order with the SessionTurnCompleted that follows.
                if (_sessionMirror) Context.Parent.Tell(mirror);
                return;
        }

        TrackSessionId(message);
        if (message is SystemMessage system)
        {
            if (system.IsInit && system.Model is not null) _memory.Model = system.Model;
            if (FailureClassifier.DuringTurn(system) is { } failure && _turns.Current is { Abandoned: false } failing) Abandon(failing, failure);
        }

        if (_turns.Current is not { } current) return; // outside a turn, e.g. the echo of set_model
        var result = CliLines.ResultOf(message);
        // A journaled turn's result line goes out with its terminal message, once the journal has it.
        if (!current.Abandoned && current.Query.StreamMessages && !(result is not null && AwaitsJournal))
            _deliveries.Deliver(current.Query.QueryId, new QueryMessage(current.Query.QueryId, message));
        if (result is not null) EndTurn(current, result, message);
    }

    private bool AwaitsJournal => _turnReporting == TurnReporting.ReportAndAwaitJournal;

    private void HandleMalformedLine(CliMalformedLine malformed)
    {
        _recentMalformed.Enqueue(malformed.Preview);
        while (_recentMalformed.Count > 5) _recentMalformed.Dequeue();
        // A dropped line may have been the turn's result, and then no result will ever come: the caller learns
        // at once that output was lost, and a fresh CLI (resuming the conversation) removes the doubt about
        // where the old one stands.
        if (malformed.Oversized && _turns.Current is { Abandoned: false } current)
        {
            Finish(current, new QueryFailed(current.Query.QueryId, new SessionFailure(FailureKind.ProtocolError,
                $"The CLI wrote a line of {malformed.Length} bytes, over the limit; it was dropped and the turn was ended.")));
            current.Abandoned = true;
            FailCli(new CliExited(null, "restarted after a line over the limit"));
        }
    }

    private void TrackSessionId(ClaudeMessage message)
    {
        var id = CliLines.SessionIdOf(message);
        if (string.IsNullOrEmpty(id) || id == _memory.SessionId) return;
        _memory.SessionId = id;
        PublishStatus();
    }

    private void EndTurn(RunningQuery current, ResultMessage result, ClaudeMessage resultLine)
    {
        _turns.TakeCurrent();
        // Only a ceiling needs the figure before the next turn: /proc/PID/smaps_rollup of a CLI's tree costs the
        // kernel a walk of every mapping (the trace benchmark saw it in each turn); the budget samples on its own.
        _sampleAfterTurn = MemoryLimit is not null;
        Timers.Cancel("query-" + current.Query.QueryId);
        Timers.Cancel("abandoned-" + current.Query.QueryId);
        if (!_options.NoSessionPersistence) _memory.ConversationPersisted = true;
        // Only a parent that asked hears of turns: the local supervisor keeps no record of them.
        if (_turnReporting != TurnReporting.None)
            Context.Parent.Tell(new SessionTurnCompleted(_name, _memory.SessionId, result.TotalCostUsd, current.Query.QueryId));
        var terminal = FailureClassifier.TerminalFor(current.Query.QueryId, result, current.InterruptRequested);
        if (AwaitsJournal && !current.Abandoned)
        {
            // Busy until the parent has journaled the turn: the next query waits, the caller gets its answer then.
            _turns.AwaitJournal(new JournalingTurn(current, resultLine, terminal));
            Timers.StartSingleTimer("journal", new JournalTimedOut(current.Query.QueryId), JournalTimeout);
            return;
        }
        if (!current.Abandoned) Finish(current, terminal);
        if (_status == SessionStatus.Busy) SetStatus(SessionStatus.Ready);
        StartNext();
    }

    private void CompleteJournaledTurn(string queryId, bool timedOut)
    {
        if (_turns.Journaling?.Current.Query.QueryId != queryId) return; // an answer for a turn already delivered
        if (timedOut) Log.Warning("Session {0}: the turn's transcript was not journaled within {1}; answering anyway.", _name, JournalTimeout);
        DeliverJournalingTurn();
        if (_status == SessionStatus.Busy) SetStatus(SessionStatus.Ready);
        StartNext();
    }

    private void DeliverJournalingTurn()
    {
        if (_turns.TakeJournaling() is not { } turn) return;
        Timers.Cancel("journal");
        var id = turn.Current.Query.QueryId;
        if (turn.Current.Query.StreamMessages) _deliveries.Deliver(id, new QueryMessage(id, turn.ResultLine));
        Finish(turn.Current, turn.Terminal);
    }

    /// <summary>The requester gets its terminal message now; the CLI's turn is interrupted and its end is swallowed.</summary>
    private void Abandon(RunningQuery current, SessionFailure failure)
    {
        Finish(current, new QueryFailed(current.Query.QueryId, failure));
        current.Abandoned = true;
        SendControlFrame(ActorRefs.Nobody, ControlRequests.Interrupt());
        Timers.StartSingleTimer("abandoned-" + current.Query.QueryId, new AbandonedTurnElapsed(current.Query.QueryId), AbandonedTurnGrace);
    }

    /// <summary>The turn's terminal message: counted once in telemetry, and sent after whatever its reader has not taken yet.</summary>
    private void Finish(RunningQuery current, object terminal)
    {
        current.ReportEnd(terminal, _memory.Model);
        if (!_deliveries.Finish(current.Query.QueryId, terminal)) current.ReplyTo.Tell(terminal);
    }

    private void HandleCancel(CancelQuery cancel)
    {
        // Whatever was not delivered has no reader any more: drop it, so a paused stdout resumes.
        _deliveries.Close(cancel.QueryId);
        if (RemoveWaiting(cancel.QueryId) is not null) return;
        if (_turns.Current is { Abandoned: false } current && current.Query.QueryId == cancel.QueryId)
            Abandon(current, new SessionFailure(FailureKind.Interrupted, "The requester cancelled the query."));
    }

    private void HandleQueryTimeout(QueryTimedOut timeout)
    {
        var failure = new SessionFailure(FailureKind.Timeout, $"The query did not complete within its timeout.");
        if (_turns.Current is { Abandoned: false } current && current.Query.QueryId == timeout.QueryId)
        {
            Abandon(current, failure);
            return;
        }
        if (RemoveWaiting(timeout.QueryId) is { } queued) queued.ReplyTo.Tell(new QueryFailed(queued.Query.QueryId, failure));
    }

    private PendingQuery? RemoveWaiting(string queryId)
    {
        var removed = _turns.RemoveWaiting(queryId);
        if (removed is not null) Timers.Cancel("query-" + queryId);
        return removed;
    }

    private void HandleInterrupt(Interrupt interrupt)
    {
        if (interrupt.QueryId is { } id && RemoveWaiting(id) is { } queued)
        {
            queued.ReplyTo.Tell(new QueryFailed(id, new SessionFailure(FailureKind.Interrupted, "The query was interrupted before it started.")));
            Sender.Tell(new ControlResult(null, null));
            return;
        }
        if (_turns.Current is { Abandoned: false } current && (interrupt.QueryId is null || interrupt.QueryId == current.Query.QueryId))
        {
            current.InterruptRequested = true;
            SendControlFrame(Sender, ControlRequests.Interrupt());
            return;
        }
        Sender.Tell(new ControlResult(null, new SessionFailure(FailureKind.InvalidRequest, "No such query is running.")));
    }
}
