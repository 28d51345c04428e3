using Akka.Actor;
using Akka.Event;
using ClaudeActors.Callbacks;
using ClaudeActors.Process;
using ClaudeActors.Protocol;

namespace ClaudeActors.Sessions;

// Requests the CLI sends to the host: can_use_tool, hook_callback, mcp_message. Each is answered from a
// handler that runs outside the actor (Ask or a delegate piped back), so a slow handler never stalls output,
// interrupts or other control traffic; control_cancel_request withdraws a pending one.
internal sealed partial class SessionActor
{
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
        }
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
