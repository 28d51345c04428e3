using System.Text.Json;
using System.Text.Json.Nodes;

namespace ClaudeActors.Sessions;

/// <summary>
/// The host's control requests as the CLI expects them, each checked before anything is written: one per message of
/// the session's protocol (<see cref="SetModel"/>, <see cref="ToggleMcpServer"/>, <see cref="SendControlRequest"/>, ...).
/// The subtypes whose state the session keeps (the options a restarted CLI starts with) are reachable only through
/// their own messages.
/// </summary>
internal static class ControlRequests
{
    // Subtypes whose state the session keeps itself: sent raw they would leave it out of date.
    private static readonly HashSet<string> SessionOwnedSubtypes =
        ["initialize", "interrupt", "set_model", "set_permission_mode", "rewind_files", "mcp_message"];

    /// <summary>The messages <see cref="For"/> makes a request of.</summary>
    public static readonly IReadOnlyList<Type> Messages =
    [
        typeof(SetModel), typeof(SetPermissionMode), typeof(GetMcpStatus), typeof(RewindFiles), typeof(ReconnectMcpServer),
        typeof(ToggleMcpServer), typeof(SetMcpServers), typeof(StopTask), typeof(GetContextUsage), typeof(SetMaxThinkingTokens),
        typeof(SendControlRequest),
    ];

    /// <summary>The request for <paramref name="message"/>, or why it is refused; null for a message that is no control request.</summary>
    /// <param name="message">A message of the session's protocol.</param>
    /// <param name="options">The session's options (file checkpointing, in-process MCP servers).</param>
    /// <param name="serverInfo">The CLI's answer to initialize, once it has come (its model list).</param>
    public static HostControl? For(object message, SessionOptions options, JsonElement? serverInfo) => message switch
    {
        SetModel m when string.IsNullOrWhiteSpace(m.Model) => new ControlRefused("The model must not be empty."),
        SetModel m when serverInfo is { } info && ServerInfo.ModelNames(info) is { Count: > 0 } models &&
                        !models.Contains(m.Model, StringComparer.OrdinalIgnoreCase) =>
            new ControlRefused($"Unknown model '{m.Model}'. The CLI knows: {string.Join(", ", models)}."),
        SetModel m => new ControlToSend("set_model", new JsonObject { ["model"] = m.Model }, ControlKind.SetModel(m.Model)),
        SetPermissionMode m => new ControlToSend("set_permission_mode",
            new JsonObject { ["mode"] = PermissionModes.ToWire(m.Mode) }, ControlKind.SetPermissionMode(m.Mode)),
        GetMcpStatus => Plain("mcp_status", new JsonObject()),
        RewindFiles when !options.EnableFileCheckpointing => new ControlRefused("rewind_files needs SessionOptions.EnableFileCheckpointing."),
        RewindFiles r when string.IsNullOrWhiteSpace(r.UserMessageId) => new ControlRefused("A user message id is required."),
        RewindFiles r => Plain("rewind_files", new JsonObject { ["user_message_id"] = r.UserMessageId, ["dry_run"] = r.DryRun }),
        ReconnectMcpServer m => Named(m.ServerName, "mcp_reconnect", () => new JsonObject { ["serverName"] = m.ServerName }),
        ToggleMcpServer m => Named(m.ServerName, "mcp_toggle", () => new JsonObject { ["serverName"] = m.ServerName, ["enabled"] = m.Enabled }),
        SetMcpServers m => McpServers(m, options),
        StopTask m => Named(m.TaskId, "stop_task", () => new JsonObject { ["task_id"] = m.TaskId }),
        GetContextUsage m => Plain("get_context_usage", new JsonObject { ["detail"] = m.Full ? "full" : "summary" }),
        SetMaxThinkingTokens { MaxThinkingTokens: < 0 } => new ControlRefused("The thinking budget cannot be negative."),
        SetMaxThinkingTokens m => Plain("set_max_thinking_tokens", new JsonObject { ["max_thinking_tokens"] = m.MaxThinkingTokens }),
        SendControlRequest raw => Raw(raw),
        _ => null,
    };

    /// <summary>Interrupt the running turn (the session's own request: for an interrupt, a timeout or a cancelled query).</summary>
    public static ControlToSend Interrupt() => Plain("interrupt", new JsonObject());

    private static ControlToSend Plain(string subtype, JsonObject fields) => new(subtype, fields, ControlKind.Plain);

    private static HostControl Named(string? name, string subtype, Func<JsonObject> fields) =>
        string.IsNullOrWhiteSpace(name) ? new ControlRefused($"{subtype} needs a name.") : Plain(subtype, fields());

    private static HostControl McpServers(SetMcpServers m, SessionOptions options)
    {
        var servers = new JsonObject();
        foreach (var (name, config) in m.Servers ?? new Dictionary<string, JsonElement>())
        {
            if (string.IsNullOrWhiteSpace(name) || config.ValueKind != JsonValueKind.Object)
                return new ControlRefused("Every MCP server needs a name and a JSON object as its config.");
            servers[name] = JsonNode.Parse(config.GetRawText());
        }
        // The CLI replaces every dynamic server, the session's in-process ones included: keep those.
        foreach (var own in options.Callbacks.McpServers)
            if (!servers.ContainsKey(own.Name)) servers[own.Name] = new JsonObject { ["type"] = "sdk", ["name"] = own.Name };
        return Plain("mcp_set_servers", new JsonObject { ["servers"] = servers });
    }

    private static HostControl Raw(SendControlRequest raw)
    {
        if (string.IsNullOrWhiteSpace(raw.Subtype)) return new ControlRefused("A control request needs a subtype.");
        if (SessionOwnedSubtypes.Contains(raw.Subtype)) return new ControlRefused($"'{raw.Subtype}' is managed by the session: use its own message.");
        if (raw.Fields is { ValueKind: not (JsonValueKind.Object or JsonValueKind.Undefined or JsonValueKind.Null) })
            return new ControlRefused("A control request's fields must be a JSON object.");
        return Plain(raw.Subtype, raw.Fields is { ValueKind: JsonValueKind.Object } fields ? JsonNode.Parse(fields.GetRawText())!.AsObject() : new JsonObject());
    }
}

/// <summary>What becomes of one of the host's control requests.</summary>
internal abstract record HostControl;

/// <summary>Write it: the request is <paramref name="Fields"/> with its <c>subtype</c>.</summary>
internal sealed record ControlToSend(string Subtype, JsonObject Fields, ControlKind Kind) : HostControl
{
    /// <summary>The request as written to the CLI.</summary>
    public JsonObject Request()
    {
        var request = (JsonObject)Fields.DeepClone();
        request["subtype"] = Subtype;
        return request;
    }
}

/// <summary>Refuse it as an invalid request; nothing is written.</summary>
internal sealed record ControlRefused(string Reason) : HostControl;
