using System.Text.Json;
using System.Text.Json.Nodes;
using Akka.Actor;
using ClaudeActors.Process;

namespace ClaudeActors.Sessions;

// The CLI's other runtime controls (MCP servers, tasks, context, thinking budget, any newer subtype) and the
// restart on request.
internal sealed partial class SessionActor
{
    // Subtypes whose state the session keeps itself: sent raw they would leave it out of date.
    private static readonly HashSet<string> SessionOwnedSubtypes =
        ["initialize", "interrupt", "set_model", "set_permission_mode", "rewind_files", "mcp_message"];

    private void ReceiveControls()
    {
        Receive<ReconnectMcpServer>(m => SendNamedControl(m.ServerName, "mcp_reconnect", new JsonObject { ["serverName"] = m.ServerName }));
        Receive<ToggleMcpServer>(m =>
            SendNamedControl(m.ServerName, "mcp_toggle", new JsonObject { ["serverName"] = m.ServerName, ["enabled"] = m.Enabled }));
        Receive<SetMcpServers>(m =>
        {
            var servers = new JsonObject();
            foreach (var (name, config) in m.Servers ?? new Dictionary<string, JsonElement>())
            {
                if (string.IsNullOrWhiteSpace(name) || config.ValueKind != JsonValueKind.Object)
                {
                    Refuse("Every MCP server needs a name and a JSON object as its config.");
                    return;
                }
                servers[name] = JsonNode.Parse(config.GetRawText());
            }
            // The CLI replaces every dynamic server, the session's in-process ones included: keep those.
            foreach (var own in _options.Callbacks.McpServers)
                if (!servers.ContainsKey(own.Name)) servers[own.Name] = new JsonObject { ["type"] = "sdk", ["name"] = own.Name };
            SendControl(Sender, "mcp_set_servers", new JsonObject { ["servers"] = servers }, ControlKind.Plain);
        });
        Receive<StopTask>(m => SendNamedControl(m.TaskId, "stop_task", new JsonObject { ["task_id"] = m.TaskId }));
        Receive<GetContextUsage>(m =>
            SendControl(Sender, "get_context_usage", new JsonObject { ["detail"] = m.Full ? "full" : "summary" }, ControlKind.Plain));
        Receive<SetMaxThinkingTokens>(m =>
        {
            if (m.MaxThinkingTokens is < 0)
            {
                Refuse("The thinking budget cannot be negative.");
                return;
            }
            SendControl(Sender, "set_max_thinking_tokens", new JsonObject { ["max_thinking_tokens"] = m.MaxThinkingTokens }, ControlKind.Plain);
        });
        Receive<SendControlRequest>(HandleRawControl);
        Receive<RestartSession>(_ => HandleRestart(Sender));
    }

    private void SendNamedControl(string? name, string subtype, JsonObject request)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            Refuse($"{subtype} needs a name.");
            return;
        }
        SendControl(Sender, subtype, request, ControlKind.Plain);
    }

    private void HandleRawControl(SendControlRequest raw)
    {
        if (string.IsNullOrWhiteSpace(raw.Subtype))
        {
            Refuse("A control request needs a subtype.");
            return;
        }
        if (SessionOwnedSubtypes.Contains(raw.Subtype))
        {
            Refuse($"'{raw.Subtype}' is managed by the session: use its own message.");
            return;
        }
        if (raw.Fields is { ValueKind: not (JsonValueKind.Object or JsonValueKind.Undefined or JsonValueKind.Null) })
        {
            Refuse("A control request's fields must be a JSON object.");
            return;
        }
        var request = raw.Fields is { ValueKind: JsonValueKind.Object } fields ? JsonNode.Parse(fields.GetRawText())!.AsObject() : new JsonObject();
        SendControl(Sender, raw.Subtype, request, ControlKind.Plain);
    }

    private void Refuse(string message) => Sender.Tell(new ControlResult(null, new SessionFailure(FailureKind.InvalidRequest, message)));

    /// <summary>
    /// Replaces the CLI with a new one that resumes the conversation. The old one is stopped in stages and the new one
    /// starts only when it has gone, so two CLIs never write the same transcript.
    /// </summary>
    private void HandleRestart(IActorRef replyTo)
    {
        if (_status is SessionStatus.Failed or SessionStatus.Stopping or SessionStatus.Stopped)
        {
            replyTo.Tell(new SessionStartFailed(_lastFailure ?? new SessionFailure(FailureKind.SessionStopped, $"Session '{_name}' is {_status}.")));
            return;
        }
        _readyWaiters.Add(replyTo);
        if (_restartRequested) return; // one restart answers every request made meanwhile

        var restarted = new SessionFailure(FailureKind.Interrupted, $"Session '{_name}' was restarted on request.");
        DeliverJournalingTurn();
        if (_current is { } current)
        {
            if (!current.Abandoned) Finish(current, new QueryFailed(current.Query.QueryId, restarted));
            _current = null;
        }
        FailPendingControls(restarted);
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
            StartCli(RestartResumeId()); // between two CLIs already (a crash's backoff): start at once
        }
    }
}
