using Akka.Actor;
using Akka.Event;
using ClaudeActors.Callbacks;
using ClaudeActors.Process;
using ClaudeActors.Protocol;

namespace ClaudeActors.Sessions;

// Control traffic both ways: the host's control requests to the CLI (model, permission mode, MCP servers, tasks,
// context, thinking budget, any newer subtype) with their answers and timeouts, the restart on request, and the
// requests the CLI sends to the host.
internal sealed partial class SessionActor
{
    private void ReceiveControls()
    {
        foreach (var type in ControlRequests.Messages) Receive(type, HandleHostControl);
        Receive<GetServerInfo>(_ => Sender.Tell(_serverInfo is { } info
            ? new ControlResult(info, null)
            : new ControlResult(null, _lastFailure ?? new SessionFailure(FailureKind.SessionStopped, "The initialize handshake has not completed yet."))));
        Receive<RestartSession>(_ => HandleRestart(Sender));
        Receive<ControlTimedOut>(timeout => Reply(_controls.TimedOut(timeout.RequestId, _options.ControlTimeout)));
    }

    private void HandleHostControl(object message)
    {
        switch (ControlRequests.For(message, _options, _serverInfo))
        {
            case ControlRefused refused:
                Sender.Tell(new ControlResult(null, new SessionFailure(FailureKind.InvalidRequest, refused.Reason)));
                break;
            case ControlToSend control:
                SendControl(Sender, control);
                break;
        }
    }

    private void SendControl(IActorRef replyTo, ControlToSend control)
    {
        if (RefusedAsEnding(replyTo, f => new ControlResult(null, f))) return;
        if (_status is SessionStatus.Initializing or SessionStatus.Restarting or SessionStatus.Passivated)
        {
            _controls.Defer(new DeferredControl(replyTo, control));
            WakeIfPassivated();
        }
        else SendControlFrame(replyTo, control);
    }

    private void SendControlFrame(IActorRef replyTo, ControlToSend control)
    {
        if (_cli is null)
        {
            replyTo.Tell(new ControlResult(null, new SessionFailure(FailureKind.CliCrashed, "No CLI is running.")));
            return;
        }
        var id = _controls.Add(replyTo, control.Kind);
        Timers.StartSingleTimer("control-" + id, new ControlTimedOut(id), _options.ControlTimeout);
        _cli.Tell(new SendFrame(OutboundFrames.ControlRequest(id, control.Request())));
    }

    private void HandleControlResponse(ControlResponseBody body)
    {
        if (_controls.IsInitialize(body.RequestId) && _status == SessionStatus.Initializing)
        {
            OnInitialized(body);
            return;
        }
        if (_controls.Answered(body) is not { } answer)
        {
            Log.Debug("Session {0}: a control response for unknown request {1} was ignored.", _name, body.RequestId);
            return;
        }
        Timers.Cancel("control-" + body.RequestId);
        if (answer.Result.IsSuccess) answer.Pending.Kind.Apply(_memory, body);
        Reply(answer);
    }

    private static void Reply(ControlAnswer? answer) => answer?.Pending.ReplyTo.Tell(answer.Result);

    private void FailUnreadableControlResponse(UnknownMessage raw)
    {
        if (ControlTable.RequestIdOf(raw.Raw) is not { } requestId) return;
        if (_controls.IsInitialize(requestId) && _status == SessionStatus.Initializing)
        {
            FailCli(new CliStartFailed("The CLI's answer to the initialize request could not be read."));
            return;
        }
        Timers.Cancel("control-" + requestId);
        Reply(_controls.Unreadable(requestId));
    }

    /// <summary>
    /// Replaces the CLI with a new one that resumes the conversation. The old one is stopped in stages and the new one
    /// starts only when it has gone, so two CLIs never write the same transcript.
    /// </summary>
    private void HandleRestart(IActorRef replyTo)
    {
        if (RefusedAsEnding(replyTo, f => new SessionStartFailed(f))) return;
        _readyWaiters.Add(replyTo);
        if (_restartRequested) return; // one restart answers every request made meanwhile

        FailRunning(new SessionFailure(FailureKind.Interrupted, $"Session '{_name}' was restarted on request."));
        _memory.RestartCount++;
        Telemetry.ClaudeActorsTelemetry.Restarted(_name);
        Timers.Cancel("init");
        SetStatus(SessionStatus.Restarting);
        if (_cli is { } cli)
        {
            _restartRequested = true;
            cli.Tell(new ShutdownCli(StopGrace));
        }
        else
        {
            StartCli(_memory.ResumeId); // between two CLIs already (a crash's backoff): start at once
        }
    }

    // ---- requests the CLI sends to the host ------------------------------------------------------------
    // can_use_tool, hook_callback, mcp_message. Each is answered from a handler that runs outside the actor (Ask or a
    // delegate piped back; for mcp_message the MCP SDK's server, which runs the tool), so a slow handler never stalls
    // output, interrupts or other control traffic; control_cancel_request withdraws a pending one.

    private void HandleCliControlRequest(ControlRequestMessage request)
    {
        switch (_callbackRouter.Route(request))
        {
            case AnswerNow answer:
                _cli?.Tell(new SendFrame(OutboundFrames.ControlSuccess(request.RequestId, answer.Response)));
                break;
            case RefuseRequest refusal:
                Log.Debug("Session {0}: the CLI sent a {1} request with no handler configured.", _name, request.Subtype);
                _cli?.Tell(new SendFrame(OutboundFrames.ControlError(request.RequestId, refusal.Error)));
                break;
            case RunHandler run:
                var requestId = request.RequestId;
                var token = _callbacks.Add(requestId, run.ToResponse, _cliGeneration);
                run.Handler.InvokeAsync(Context.System, run.Request, _options.Callbacks.Timeout, token).PipeTo(Self,
                    success: result => new CallbackCompleted(requestId, result, null),
                    failure: error => new CallbackCompleted(requestId, null, error));
                break;
            case RelayToMcpServer relay:
                // The MCP server answers on its own threads; the answer comes back as a message, for this CLI only.
                var mcpRequestId = request.RequestId;
                var generation = _cliGeneration;
                _mcp.RelayAsync(mcpRequestId, relay.ServerName, relay.Message).PipeTo(Self,
                    success: response => new McpAnswered(mcpRequestId, generation, response),
                    failure: error => new McpAnswered(mcpRequestId, generation, null));
                break;
        }
    }

    private void OnMcpAnswered(McpAnswered answered)
    {
        if (answered.Generation != _cliGeneration || _cli is null) return; // that CLI is gone
        _cli.Tell(new SendFrame(answered.Response is { } response
            ? OutboundFrames.ControlSuccess(answered.RequestId, response)
            : OutboundFrames.ControlError(answered.RequestId, "The in-process MCP server failed.")));
    }

    private void OnCallbackCompleted(CallbackCompleted completed)
    {
        if (_callbacks.Complete(completed.RequestId) is not { } pending) return; // withdrawn by the CLI
        if (completed.Error is not null)
            Log.Warning("Session {0}: a callback handler failed or did not answer within {1} ({2}); using the safe default.",
                _name, _options.Callbacks.Timeout, completed.Error.GetType().Name);
        if (pending.Generation != _cliGeneration || _cli is null) return; // that CLI is gone
        _cli.Tell(new SendFrame(OutboundFrames.ControlSuccess(completed.RequestId, pending.ToResponse(completed.Result, completed.Error))));
    }
}
