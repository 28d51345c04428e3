using System.Text.Json;
using System.Text.Json.Nodes;
using ClaudeActors.Protocol;
using static ClaudeActors.Callbacks.RequestFields;

namespace ClaudeActors.Callbacks;

/// <summary>
/// The host's side of the CLI's callbacks for one session: what the initialize request registers (hooks, in-process
/// MCP servers), and for each request the CLI sends (<c>can_use_tool</c>, <c>hook_callback</c>, <c>mcp_message</c>)
/// which handler answers it and how its decision is written back. A request with no handler configured is refused at
/// once, so the CLI never waits on the host.
/// </summary>
internal sealed class CallbackRouter(string sessionName, SessionCallbacks callbacks)
{
    /// <summary>The initialize request, with the hooks and in-process servers this session serves.</summary>
    public JsonObject InitializeRequest()
    {
        var request = new JsonObject { ["subtype"] = "initialize" };
        var hooks = callbacks.Hooks;
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
        if (callbacks.McpServers.Count > 0)
            request["sdkMcpServers"] = new JsonArray(callbacks.McpServers.Select(s => (JsonNode)JsonValue.Create(s.Name)!).ToArray());
        return request;
    }

    /// <summary>What to do with one request of the CLI.</summary>
    public CallbackStep Route(ControlRequestMessage request)
    {
        var body = request.Request;
        switch (request.Subtype)
        {
            case "can_use_tool" when callbacks.Permissions is { } permissions:
                var input = Property(body, "input") ?? EmptyObject;
                var permission = new ToolPermissionRequest(sessionName, StringProperty(body, "tool_name") ?? "",
                    input, StringProperty(body, "tool_use_id"), Property(body, "permission_suggestions"), StringProperty(body, "blocked_path"));
                return new RunHandler(permissions, permission, (result, error) => PermissionResponse(result, error, input));
            case "hook_callback":
                var callbackId = StringProperty(body, "callback_id") ?? "";
                var index = Enumerable.Range(0, callbacks.Hooks.Count).FirstOrDefault(i => HookCallbackId(i) == callbackId, -1);
                if (index < 0) break;
                var hookInput = Property(body, "input") ?? EmptyObject;
                var hook = new HookRequest(sessionName, StringProperty(hookInput, "hook_event_name") ?? callbacks.Hooks[index].Event.ToString(),
                    hookInput, StringProperty(body, "tool_use_id"));
                return new RunHandler(callbacks.Hooks[index].Handler, hook, HookResponse);
            case "mcp_message":
                return new RelayToMcpServer(StringProperty(body, "server_name"), Property(body, "message") ?? EmptyObject);
        }
        return new RefuseRequest($"This host has no handler for '{request.Subtype}'.");
    }

    private static string HookCallbackId(int index) => "hook_" + index;

    private static JsonNode PermissionResponse(object? result, Exception? error, JsonElement originalInput)
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
}
