using System.Text.Json;
using System.Text.Json.Nodes;
using static ClaudeActors.Callbacks.RequestFields;

namespace ClaudeActors.Callbacks;

/// <summary>
/// The MCP servers a session serves in-process (<see cref="SessionCallbacks.McpServers"/>), speaking JSON-RPC inside
/// the CLI's <c>mcp_message</c> requests: <c>initialize</c>, <c>notifications/initialized</c>, <c>tools/list</c> and
/// <c>tools/call</c>. Every request gets a JSON-RPC answer (an error for an unknown server, method or tool), so the
/// CLI never waits on the host; only a tool call runs a handler.
/// </summary>
internal static class InProcessMcpServer
{
    /// <summary>The protocol version answered when the CLI's <c>initialize</c> names none.</summary>
    public const string DefaultProtocolVersion = "2024-11-05";

    public const int MethodNotFound = -32601;
    public const int InvalidParams = -32602;

    /// <summary>What to do with one <c>mcp_message</c> request.</summary>
    /// <param name="servers">The session's in-process servers.</param>
    /// <param name="sessionName">The session, named in each <see cref="ToolCall"/>.</param>
    /// <param name="body">The request: <c>server_name</c> and the JSON-RPC <c>message</c>.</param>
    public static CallbackStep Handle(IReadOnlyList<SdkMcpServer> servers, string sessionName, JsonElement body)
    {
        var serverName = StringProperty(body, "server_name");
        var message = Property(body, "message") ?? EmptyObject;
        var id = message.TryGetProperty("id", out var idElement) ? JsonNode.Parse(idElement.GetRawText()) : null;
        var method = StringProperty(message, "method") ?? "";
        var server = servers.FirstOrDefault(s => s.Name == serverName);
        if (server is null) return Reply(Error(id, MethodNotFound, $"Unknown MCP server '{serverName}'."));
        switch (method)
        {
            case "initialize":
                return Reply(Result(id, new JsonObject
                {
                    ["protocolVersion"] = StringProperty(Property(message, "params") ?? EmptyObject, "protocolVersion") ?? DefaultProtocolVersion,
                    ["capabilities"] = new JsonObject { ["tools"] = new JsonObject() },
                    ["serverInfo"] = new JsonObject { ["name"] = server.Name, ["version"] = "1.0.0" },
                }));
            case "notifications/initialized":
                return Reply(Result(id, new JsonObject()));
            case "tools/list":
                var tools = new JsonArray();
                foreach (var tool in server.Tools)
                    tools.Add(new JsonObject
                    {
                        ["name"] = tool.Name,
                        ["description"] = tool.Description,
                        ["inputSchema"] = JsonNode.Parse(tool.InputSchema.GetRawText()),
                    });
                return Reply(Result(id, new JsonObject { ["tools"] = tools }));
            case "tools/call":
                var parameters = Property(message, "params") ?? EmptyObject;
                var toolName = StringProperty(parameters, "name") ?? "";
                var target = server.Tools.FirstOrDefault(t => t.Name == toolName);
                if (target is null) return Reply(Error(id, InvalidParams, $"Unknown tool '{toolName}'."));
                var call = new ToolCall(sessionName, server.Name, toolName, Property(parameters, "arguments") ?? EmptyObject);
                return new RunHandler(target.Handler, call, (result, error) => Wrap(ToolResponse(id, result, error)));
            default:
                return Reply(Error(id, MethodNotFound, $"Method '{method}' is not supported."));
        }
    }

    // A handler that fails or answers with the wrong type still answers the model: as a failed tool call.
    private static JsonObject ToolResponse(JsonNode? id, object? result, Exception? error)
    {
        var outcome = result as ToolCallResult ?? new ToolCallResult(
            error is null ? "The tool handler answered with something other than a ToolCallResult." : "The tool did not answer in time.", IsError: true);
        return Result(id, new JsonObject
        {
            ["content"] = new JsonArray(new JsonObject { ["type"] = "text", ["text"] = outcome.Text }),
            ["isError"] = outcome.IsError,
        });
    }

    // The JSON-RPC message travels inside the control response's payload.
    private static JsonObject Wrap(JsonObject jsonRpc) => new() { ["mcp_response"] = jsonRpc };

    private static AnswerNow Reply(JsonObject jsonRpc) => new(Wrap(jsonRpc));

    private static JsonObject Result(JsonNode? id, JsonObject result) =>
        new() { ["jsonrpc"] = "2.0", ["id"] = id?.DeepClone(), ["result"] = result };

    private static JsonObject Error(JsonNode? id, int code, string message) =>
        new() { ["jsonrpc"] = "2.0", ["id"] = id?.DeepClone(), ["error"] = new JsonObject { ["code"] = code, ["message"] = message } };
}
