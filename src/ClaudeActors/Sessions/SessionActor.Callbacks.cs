using System.Text.Json;
using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.Event;
using ClaudeActors.Process;
using ClaudeActors.Protocol;

namespace ClaudeActors.Sessions;

// Requests the CLI sends to the host: can_use_tool, hook_callback, mcp_message. Each is answered from a
// handler that runs outside the actor (Ask or a delegate piped back), so a slow handler never stalls output,
// interrupts or other control traffic; control_cancel_request withdraws a pending one.
internal sealed partial class SessionActor
{
    private readonly Dictionary<string, PendingCallback> _pendingCallbacks = new();

    private SessionCallbacks CallbackSettings => _options.Callbacks;

    private JsonObject BuildInitializeRequest()
    {
        var request = new JsonObject { ["subtype"] = "initialize" };
        var hooks = CallbackSettings.Hooks;
        if (hooks.Count > 0)
        {
            var byEvent = new JsonObject();
            for (var i = 0; i < hooks.Count; i++)
            {
                var name = hooks[i].Event.ToString();
                if (byEvent[name] is not JsonArray list) byEvent[name] = list = new JsonArray();
                var matcher = new JsonObject { ["hookCallbackIds"] = new JsonArray(HookCallbackId(i)) };
                if (hooks[i].Matcher is { } m) matcher["matcher"] = m;
                list.Add(matcher);
            }
            request["hooks"] = byEvent;
        }
        if (CallbackSettings.McpServers.Count > 0)
            request["sdkMcpServers"] = new JsonArray(CallbackSettings.McpServers.Select(s => (JsonNode)JsonValue.Create(s.Name)!).ToArray());
        return request;
    }

    private static string HookCallbackId(int index) => "hook_" + index;

    private void HandleCliControlRequest(ControlRequestMessage request)
    {
        var body = request.Request;
        switch (request.Subtype)
        {
            case "can_use_tool" when CallbackSettings.Permissions is { } permissions:
                var input = Property(body, "input") ?? EmptyObject;
                var permission = new ToolPermissionRequest(_name, StringProperty(body, "tool_name") ?? "",
                    input, StringProperty(body, "tool_use_id"), Property(body, "permission_suggestions"), StringProperty(body, "blocked_path"));
                StartCallback(request.RequestId, permissions, permission, (result, error) => PermissionResponse(result, error, input));
                return;
            case "hook_callback":
                var callbackId = StringProperty(body, "callback_id") ?? "";
                var index = CallbackSettings.Hooks.Select((_, i) => HookCallbackId(i)).ToList().IndexOf(callbackId);
                if (index < 0) break;
                var hookInput = Property(body, "input") ?? EmptyObject;
                var hook = new HookRequest(_name, StringProperty(hookInput, "hook_event_name") ?? CallbackSettings.Hooks[index].Event.ToString(),
                    hookInput, StringProperty(body, "tool_use_id"));
                StartCallback(request.RequestId, CallbackSettings.Hooks[index].Handler, hook, HookResponse);
                return;
            case "mcp_message":
                HandleMcpMessage(request.RequestId, body);
                return;
        }
        Log.Debug("Session {0}: the CLI sent a {1} request with no handler configured.", _name, request.Subtype);
        _cli?.Tell(new SendFrame(OutboundFrames.ControlError(request.RequestId, $"This host has no handler for '{request.Subtype}'.")));
    }

    private void HandleMcpMessage(string requestId, JsonElement body)
    {
        var serverName = StringProperty(body, "server_name");
        var message = Property(body, "message") ?? EmptyObject;
        var id = message.TryGetProperty("id", out var idElement) ? JsonNode.Parse(idElement.GetRawText()) : null;
        var method = StringProperty(message, "method") ?? "";
        var server = CallbackSettings.McpServers.FirstOrDefault(s => s.Name == serverName);
        if (server is null)
        {
            ReplyMcp(requestId, JsonRpcError(id, -32601, $"Unknown MCP server '{serverName}'."));
            return;
        }
        switch (method)
        {
            case "initialize":
                ReplyMcp(requestId, JsonRpcResult(id, new JsonObject
                {
                    ["protocolVersion"] = StringProperty(Property(message, "params") ?? EmptyObject, "protocolVersion") ?? "2024-11-05",
                    ["capabilities"] = new JsonObject { ["tools"] = new JsonObject() },
                    ["serverInfo"] = new JsonObject { ["name"] = server.Name, ["version"] = "1.0.0" },
                }));
                return;
            case "notifications/initialized":
                ReplyMcp(requestId, JsonRpcResult(id, new JsonObject()));
                return;
            case "tools/list":
                var tools = new JsonArray();
                foreach (var tool in server.Tools)
                    tools.Add(new JsonObject
                    {
                        ["name"] = tool.Name,
                        ["description"] = tool.Description,
                        ["inputSchema"] = JsonNode.Parse(tool.InputSchema.GetRawText()),
                    });
                ReplyMcp(requestId, JsonRpcResult(id, new JsonObject { ["tools"] = tools }));
                return;
            case "tools/call":
                var parameters = Property(message, "params") ?? EmptyObject;
                var toolName = StringProperty(parameters, "name") ?? "";
                var target = server.Tools.FirstOrDefault(t => t.Name == toolName);
                if (target is null)
                {
                    ReplyMcp(requestId, JsonRpcError(id, -32602, $"Unknown tool '{toolName}'."));
                    return;
                }
                var call = new ToolCall(_name, server.Name, toolName, Property(parameters, "arguments") ?? EmptyObject);
                StartCallback(requestId, target.Handler, call, (result, error) => new JsonObject { ["mcp_response"] = ToolResponse(id, result, error) });
                return;
            default:
                ReplyMcp(requestId, JsonRpcError(id, -32601, $"Method '{method}' is not supported."));
                return;
        }
    }

    private void StartCallback(string requestId, CallbackHandler handler, object request, Func<object?, Exception?, JsonNode> toResponse)
    {
        var cts = new CancellationTokenSource();
        _pendingCallbacks[requestId] = new PendingCallback(cts, toResponse, _cliGeneration);
        handler.InvokeAsync(Context.System, request, CallbackSettings.Timeout, cts.Token).PipeTo(Self,
            success: result => new CallbackCompleted(requestId, result, null),
            failure: error => new CallbackCompleted(requestId, null, error));
    }

    private void OnCallbackCompleted(CallbackCompleted completed)
    {
        if (!_pendingCallbacks.Remove(completed.RequestId, out var pending)) return; // withdrawn by the CLI
        pending.Cancellation.Dispose();
        if (completed.Error is not null)
            Log.Warning("Session {0}: a callback handler failed or did not answer within {1} ({2}); using the safe default.",
                _name, CallbackSettings.Timeout, completed.Error.GetType().Name);
        if (pending.Generation != _cliGeneration || _cli is null) return; // that CLI is gone
        _cli.Tell(new SendFrame(OutboundFrames.ControlSuccess(completed.RequestId, pending.ToResponse(completed.Result, completed.Error))));
    }

    private void CancelCallback(string requestId)
    {
        if (!_pendingCallbacks.Remove(requestId, out var pending)) return;
        Log.Debug("Session {0}: the CLI withdrew its request {1}.", _name, requestId);
        pending.Cancellation.Cancel();
        pending.Cancellation.Dispose();
    }

    private void CancelAllCallbacks()
    {
        foreach (var pending in _pendingCallbacks.Values)
        {
            pending.Cancellation.Cancel();
            pending.Cancellation.Dispose();
        }
        _pendingCallbacks.Clear();
    }

    private JsonNode PermissionResponse(object? result, Exception? error, JsonElement originalInput)
    {
        var decision = result as PermissionDecision
                       ?? PermissionDecision.Deny(error is null
                           ? "The permission handler answered with something other than a PermissionDecision."
                           : "The permission handler did not answer in time.");
        if (decision.IsAllowed)
            return new JsonObject { ["behavior"] = "allow", ["updatedInput"] = JsonNode.Parse((decision.UpdatedInput ?? originalInput).GetRawText()) };
        var deny = new JsonObject { ["behavior"] = "deny", ["message"] = decision.Message ?? "Denied." };
        if (decision.Interrupt) deny["interrupt"] = true;
        return deny;
    }

    // A hook that fails or times out does not block the turn: hooks advise, permissions decide.
    private static JsonNode HookResponse(object? result, Exception? error) =>
        result is HookDecision decision ? decision.Output.DeepClone() : new JsonObject { ["continue"] = true };

    private static JsonObject ToolResponse(JsonNode? id, object? result, Exception? error)
    {
        var outcome = result as ToolCallResult ?? new ToolCallResult(
            error is null ? "The tool handler answered with something other than a ToolCallResult." : "The tool did not answer in time.", IsError: true);
        return JsonRpcResult(id, new JsonObject
        {
            ["content"] = new JsonArray(new JsonObject { ["type"] = "text", ["text"] = outcome.Text }),
            ["isError"] = outcome.IsError,
        });
    }

    private void ReplyMcp(string requestId, JsonObject jsonRpc) =>
        _cli?.Tell(new SendFrame(OutboundFrames.ControlSuccess(requestId, new JsonObject { ["mcp_response"] = jsonRpc })));

    private static JsonObject JsonRpcResult(JsonNode? id, JsonObject result) =>
        new() { ["jsonrpc"] = "2.0", ["id"] = id?.DeepClone(), ["result"] = result };

    private static JsonObject JsonRpcError(JsonNode? id, int code, string message) =>
        new() { ["jsonrpc"] = "2.0", ["id"] = id?.DeepClone(), ["error"] = new JsonObject { ["code"] = code, ["message"] = message } };

    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement.Clone();

    private static JsonElement? Property(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    private static string? StringProperty(JsonElement element, string name) =>
        Property(element, name) is { ValueKind: JsonValueKind.String } value ? value.GetString() : null;

    private sealed record PendingCallback(CancellationTokenSource Cancellation, Func<object?, Exception?, JsonNode> ToResponse, int Generation);

    private sealed record CallbackCompleted(string RequestId, object? Result, Exception? Error);
}
