using System.Text.Json;
using System.Text.Json.Serialization;

namespace ClaudeActors.Protocol;

/// <summary>
/// One line the <c>claude</c> CLI wrote on stdout in stream-json mode. Concrete types cover the messages of
/// the protocol; anything the parser does not know becomes an <see cref="UnknownMessage"/> with its raw JSON,
/// so a newer CLI never breaks the host. Fields the model does not name are kept in <see cref="ExtensionData"/>.
/// </summary>
public abstract record ClaudeMessage
{
    /// <summary>The wire <c>type</c> of the line (<c>system</c>, <c>assistant</c>, <c>result</c>, ...).</summary>
    [JsonIgnore]
    public abstract string Type { get; }

    /// <summary>Fields of the line that this model does not name, kept as raw JSON.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }

    /// <summary>
    /// The line as the CLI writes it (no newline), <c>type</c> first: what a fake CLI prints, what crosses nodes,
    /// and what the session's parser reads back into an equal message.
    /// </summary>
    public string ToJsonLine() => MessageJson.ToLine(this);
}

/// <summary>A <c>system</c> line: <c>init</c> at the start of every turn, <c>status</c>, <c>api_retry</c> and subtypes yet unknown.</summary>
public sealed record SystemMessage : ClaudeMessage
{
    /// <inheritdoc />
    [JsonIgnore]
    public override string Type => "system";

    /// <summary>The system subtype (<c>init</c>, <c>status</c>, <c>api_retry</c>, ...); unknown subtypes are kept as they are.</summary>
    [JsonPropertyName("subtype")] public string Subtype { get; init; } = "";

    /// <summary>The conversation's session id, when the line carries one.</summary>
    [JsonPropertyName("session_id")] public string? SessionId { get; init; }

    /// <summary>The CLI's working directory (<c>init</c>).</summary>
    [JsonPropertyName("cwd")] public string? Cwd { get; init; }

    /// <summary>The model the turn uses (<c>init</c>).</summary>
    [JsonPropertyName("model")] public string? Model { get; init; }

    /// <summary>The permission mode in force (<c>init</c>, and <c>status</c> after a change).</summary>
    [JsonPropertyName("permissionMode")] public string? PermissionMode { get; init; }

    /// <summary>The tools the model may use (<c>init</c>).</summary>
    [JsonPropertyName("tools")] public IReadOnlyList<string>? Tools { get; init; }

    /// <summary>The MCP servers and their status (<c>init</c>).</summary>
    [JsonPropertyName("mcp_servers")] public IReadOnlyList<McpServerStatus>? McpServers { get; init; }

    /// <summary>The version of the CLI (<c>init</c>).</summary>
    [JsonPropertyName("claude_code_version")] public string? ClaudeCodeVersion { get; init; }

    /// <summary>The line's uuid, when present.</summary>
    [JsonPropertyName("uuid")] public string? Uuid { get; init; }

    /// <summary>True for the <c>init</c> line that opens each turn.</summary>
    [JsonIgnore] public bool IsInit => Subtype == "init";
}

/// <summary>The name and status of one MCP server, as the CLI reports it.</summary>
public sealed record McpServerStatus
{
    /// <summary>The server name.</summary>
    [JsonPropertyName("name")] public string Name { get; init; } = "";

    /// <summary>Its status (<c>connected</c>, <c>failed</c>, <c>pending</c>, ...).</summary>
    [JsonPropertyName("status")] public string Status { get; init; } = "";
}

/// <summary>A complete message of the model: one per API response within a turn.</summary>
public sealed record AssistantMessage : ClaudeMessage
{
    /// <inheritdoc />
    [JsonIgnore]
    public override string Type => "assistant";

    /// <summary>The API message: id, model, content blocks, usage.</summary>
    [JsonPropertyName("message")] public ApiMessage Message { get; init; } = new();

    /// <summary>Set when the message belongs to a sub-agent's tool use.</summary>
    [JsonPropertyName("parent_tool_use_id")] public string? ParentToolUseId { get; init; }

    /// <summary>The conversation's session id.</summary>
    [JsonPropertyName("session_id")] public string? SessionId { get; init; }

    /// <summary>The line's uuid.</summary>
    [JsonPropertyName("uuid")] public string? Uuid { get; init; }
}

/// <summary>A <c>user</c> line: a tool result fed back to the model, a replayed prompt, or local command output.</summary>
public sealed record UserMessage : ClaudeMessage
{
    /// <inheritdoc />
    [JsonIgnore]
    public override string Type => "user";

    /// <summary>The user message: role and content blocks (a plain string arrives as one text block).</summary>
    [JsonPropertyName("message")] public ApiMessage Message { get; init; } = new();

    /// <summary>Set when the message belongs to a sub-agent's tool use.</summary>
    [JsonPropertyName("parent_tool_use_id")] public string? ParentToolUseId { get; init; }

    /// <summary>The conversation's session id.</summary>
    [JsonPropertyName("session_id")] public string? SessionId { get; init; }

    /// <summary>The line's uuid: the id that <c>rewind_files</c> takes.</summary>
    [JsonPropertyName("uuid")] public string? Uuid { get; init; }

    /// <summary>True when the CLI echoes a prompt the host sent (<c>--replay-user-messages</c>).</summary>
    [JsonPropertyName("isReplay")] public bool IsReplay { get; init; }

    /// <summary>The tool's structured result, when this line carries a tool result.</summary>
    [JsonPropertyName("tool_use_result")] public JsonElement? ToolUseResult { get; init; }
}

/// <summary>The message body shared by <see cref="AssistantMessage"/> and <see cref="UserMessage"/>.</summary>
public sealed record ApiMessage
{
    /// <summary>The API message id (assistant messages).</summary>
    [JsonPropertyName("id")] public string? Id { get; init; }

    /// <summary>The model that wrote it (assistant messages).</summary>
    [JsonPropertyName("model")] public string? Model { get; init; }

    /// <summary><c>assistant</c> or <c>user</c>.</summary>
    [JsonPropertyName("role")] public string Role { get; init; } = "";

    /// <summary>The content blocks, in order.</summary>
    [JsonPropertyName("content")]
    [JsonConverter(typeof(ContentListConverter))]
    public IReadOnlyList<ContentBlock> Content { get; init; } = [];

    /// <summary>Why the model stopped (<c>end_turn</c>, <c>tool_use</c>, ...).</summary>
    [JsonPropertyName("stop_reason")] public string? StopReason { get; init; }

    /// <summary>Token usage of this API message.</summary>
    [JsonPropertyName("usage")] public Usage? Usage { get; init; }

    /// <summary>Fields this model does not name.</summary>
    [JsonExtensionData] public Dictionary<string, JsonElement>? ExtensionData { get; set; }
}

/// <summary>Token counts of an API message or of a whole turn.</summary>
public sealed record Usage
{
    /// <summary>Input tokens, not counting the cache.</summary>
    [JsonPropertyName("input_tokens")] public long InputTokens { get; init; }

    /// <summary>Output tokens.</summary>
    [JsonPropertyName("output_tokens")] public long OutputTokens { get; init; }

    /// <summary>Input tokens written to the prompt cache.</summary>
    [JsonPropertyName("cache_creation_input_tokens")] public long CacheCreationInputTokens { get; init; }

    /// <summary>Input tokens read from the prompt cache.</summary>
    [JsonPropertyName("cache_read_input_tokens")] public long CacheReadInputTokens { get; init; }

    /// <summary>Fields this model does not name.</summary>
    [JsonExtensionData] public Dictionary<string, JsonElement>? ExtensionData { get; set; }
}

/// <summary>
/// The end of a turn. Judge failure by <see cref="IsError"/>, not by <see cref="Subtype"/>: the CLI reports an
/// API error as subtype <c>success</c> with <c>is_error: true</c>.
/// </summary>
public sealed record ResultMessage : ClaudeMessage
{
    /// <inheritdoc />
    [JsonIgnore]
    public override string Type => "result";

    /// <summary><c>success</c>, <c>error_during_execution</c>, <c>error_max_turns</c>, <c>error_max_budget_usd</c>, ...</summary>
    [JsonPropertyName("subtype")] public string Subtype { get; init; } = "";

    /// <summary>True when the turn failed (API error, interruption, limits).</summary>
    [JsonPropertyName("is_error")] public bool IsError { get; init; }

    /// <summary>The final text of the turn (or the error text).</summary>
    [JsonPropertyName("result")] public string? Result { get; init; }

    /// <summary>The conversation's session id.</summary>
    [JsonPropertyName("session_id")] public string? SessionId { get; init; }

    /// <summary>How many API round trips the turn took.</summary>
    [JsonPropertyName("num_turns")] public int NumTurns { get; init; }

    /// <summary>Wall time of the turn.</summary>
    [JsonPropertyName("duration_ms")] public long DurationMs { get; init; }

    /// <summary>Time spent waiting for the API.</summary>
    [JsonPropertyName("duration_api_ms")] public long DurationApiMs { get; init; }

    /// <summary>Cost of the turn in US dollars, as the CLI computes it.</summary>
    [JsonPropertyName("total_cost_usd")] public decimal? TotalCostUsd { get; init; }

    /// <summary>Token usage of the whole turn.</summary>
    [JsonPropertyName("usage")] public Usage? Usage { get; init; }

    /// <summary>Usage per model, raw.</summary>
    [JsonPropertyName("modelUsage")] public JsonElement? ModelUsage { get; init; }

    /// <summary>Tool uses the permission rules denied, raw.</summary>
    [JsonPropertyName("permission_denials")] public JsonElement? PermissionDenials { get; init; }

    /// <summary>The model's last stop reason.</summary>
    [JsonPropertyName("stop_reason")] public string? StopReason { get; init; }

    /// <summary>Why the turn ended (<c>completed</c>, <c>api_error</c>, <c>aborted_streaming</c>, ...).</summary>
    [JsonPropertyName("terminal_reason")] public string? TerminalReason { get; init; }

    /// <summary>The HTTP status of an API error that ended the turn.</summary>
    [JsonPropertyName("api_error_status")] public int? ApiErrorStatus { get; init; }

    /// <summary>Error details of a failed turn, raw.</summary>
    [JsonPropertyName("errors")] public JsonElement? Errors { get; init; }

    /// <summary>The line's uuid.</summary>
    [JsonPropertyName("uuid")] public string? Uuid { get; init; }
}

/// <summary>
/// A partial-message event (<c>--include-partial-messages</c>): the Messages API's SSE event, wrapped.
/// </summary>
public sealed record StreamEventMessage : ClaudeMessage
{
    /// <inheritdoc />
    [JsonIgnore]
    public override string Type => "stream_event";

    /// <summary>The raw SSE event (<c>message_start</c>, <c>content_block_delta</c>, ...).</summary>
    [JsonPropertyName("event")] public JsonElement Event { get; init; }

    /// <summary>The conversation's session id.</summary>
    [JsonPropertyName("session_id")] public string? SessionId { get; init; }

    /// <summary>Set when the event belongs to a sub-agent's tool use.</summary>
    [JsonPropertyName("parent_tool_use_id")] public string? ParentToolUseId { get; init; }

    /// <summary>The line's uuid.</summary>
    [JsonPropertyName("uuid")] public string? Uuid { get; init; }

    /// <summary>The event type (<c>content_block_delta</c>, ...), or null.</summary>
    [JsonIgnore]
    public string? EventType => Event.ValueKind == JsonValueKind.Object && Event.TryGetProperty("type", out var t) ? t.GetString() : null;

    /// <summary>The text of a <c>text_delta</c>, or null for any other event.</summary>
    [JsonIgnore]
    public string? TextDelta => DeltaField("text_delta", "text");

    /// <summary>The text of a <c>thinking_delta</c>, or null for any other event.</summary>
    [JsonIgnore]
    public string? ThinkingDelta => DeltaField("thinking_delta", "thinking");

    private string? DeltaField(string deltaType, string field)
    {
        if (EventType != "content_block_delta" || !Event.TryGetProperty("delta", out var delta)) return null;
        if (!delta.TryGetProperty("type", out var type) || type.GetString() != deltaType) return null;
        return delta.TryGetProperty(field, out var text) ? text.GetString() : null;
    }
}

/// <summary>A control request the CLI sends to the host (<c>can_use_tool</c>, <c>hook_callback</c>, <c>mcp_message</c>, ...).</summary>
internal sealed record ControlRequestMessage : ClaudeMessage
{
    /// <inheritdoc />
    [JsonIgnore]
    public override string Type => "control_request";

    /// <summary>The id the answer must carry.</summary>
    [JsonPropertyName("request_id")] public string RequestId { get; init; } = "";

    /// <summary>The request, raw; its <c>subtype</c> says what it is.</summary>
    [JsonPropertyName("request")] public JsonElement Request { get; init; }

    /// <summary>The request's subtype, or an empty string.</summary>
    [JsonIgnore]
    public string Subtype => Request.ValueKind == JsonValueKind.Object && Request.TryGetProperty("subtype", out var s) ? s.GetString() ?? "" : "";
}

/// <summary>The CLI's answer to a control request of the host.</summary>
internal sealed record ControlResponseMessage : ClaudeMessage
{
    /// <inheritdoc />
    [JsonIgnore]
    public override string Type => "control_response";

    /// <summary>The answer.</summary>
    [JsonPropertyName("response")] public ControlResponseBody Response { get; init; } = new();
}

/// <summary>The body of a <see cref="ControlResponseMessage"/>.</summary>
internal sealed record ControlResponseBody
{
    /// <summary><c>success</c> or <c>error</c>.</summary>
    [JsonPropertyName("subtype")] public string Subtype { get; init; } = "";

    /// <summary>The id of the request this answers.</summary>
    [JsonPropertyName("request_id")] public string RequestId { get; init; } = "";

    /// <summary>The payload of a successful answer, raw.</summary>
    [JsonPropertyName("response")] public JsonElement? Response { get; init; }

    /// <summary>The error text of a failed answer.</summary>
    [JsonPropertyName("error")] public string? Error { get; init; }

    /// <summary>The error code of a failed answer, when given.</summary>
    [JsonPropertyName("error_code")] public string? ErrorCode { get; init; }

    /// <summary>True for <c>success</c>.</summary>
    [JsonIgnore] public bool IsSuccess => Subtype == "success";
}

/// <summary>The CLI no longer wants the answer to one of its earlier control requests.</summary>
internal sealed record ControlCancelRequestMessage : ClaudeMessage
{
    /// <inheritdoc />
    [JsonIgnore]
    public override string Type => "control_cancel_request";

    /// <summary>The id of the request to drop.</summary>
    [JsonPropertyName("request_id")] public string RequestId { get; init; } = "";
}

/// <summary>A line of a type the host does not know (a newer CLI): kept whole, as raw JSON.</summary>
public sealed record UnknownMessage : ClaudeMessage
{
    /// <summary>Creates an unknown message from its wire type and raw JSON.</summary>
    public UnknownMessage(string type, JsonElement raw)
    {
        WireType = type;
        Raw = raw;
    }

    /// <inheritdoc />
    [JsonIgnore]
    public override string Type => WireType;

    /// <summary>The <c>type</c> field as written (empty when missing).</summary>
    public string WireType { get; }

    /// <summary>The whole line.</summary>
    public JsonElement Raw { get; }
}
