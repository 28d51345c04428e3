using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ClaudeActors.Protocol;

namespace ClaudeActors.Testing;

/// <summary>
/// Factories for the library's real protocol messages, filled like the CLI fills them, for scripting a
/// <see cref="StubSession"/> or feeding code under test. A message built without a session id gets the
/// stub's session id when a <see cref="StubSession"/> sends it.
/// </summary>
public static class ClaudeMessages
{
    /// <summary>The model named by messages built here unless told otherwise.</summary>
    public const string DefaultModel = "claude-sonnet-5-5";

    /// <summary>An assistant message with one text block.</summary>
    /// <param name="text">The text.</param>
    /// <param name="sessionId">The session id; null lets a stub fill in its own.</param>
    public static AssistantMessage Text(string text, string? sessionId = null) =>
        Build(sessionId, "end_turn", new TextBlock { Text = text });

    /// <summary>An assistant message with the given content blocks, in order.</summary>
    /// <param name="blocks">The blocks (<see cref="TextBlock"/>, <see cref="ThinkingBlock"/>, <see cref="ToolUseBlock"/>, ...).</param>
    public static AssistantMessage Assistant(params ContentBlock[] blocks) =>
        Build(null, blocks.OfType<ToolUseBlock>().Any() ? "tool_use" : "end_turn", blocks);

    /// <summary>An assistant message asking for a tool (<c>stop_reason: tool_use</c>).</summary>
    /// <param name="name">The tool's name (<c>Bash</c>, <c>mcp__server__tool</c>, ...).</param>
    /// <param name="input">The tool's input: a <see cref="JsonElement"/>, a <see cref="JsonNode"/>, or any object System.Text.Json can serialise (e.g. <c>new { command = "ls" }</c>).</param>
    /// <param name="id">The tool use id; a new <c>toolu_stub_…</c> id when null.</param>
    public static AssistantMessage ToolUse(string name, object input, string? id = null) =>
        Build(null, "tool_use", new ToolUseBlock { Id = id ?? NewId("toolu_stub_"), Name = name, Input = ToElement(input) });

    /// <summary>The user line that feeds a tool's result back to the model.</summary>
    /// <param name="toolUseId">The id of the tool use it answers.</param>
    /// <param name="content">The tool's output.</param>
    /// <param name="isError">True when the tool failed or was denied.</param>
    public static UserMessage ToolResult(string toolUseId, string content, bool isError = false) => new()
    {
        Message = new ApiMessage
        {
            Role = "user",
            Content = [new ToolResultBlock { ToolUseId = toolUseId, Content = JsonSerializer.SerializeToElement(content), IsError = isError }],
        },
        Uuid = Guid.NewGuid().ToString(),
    };

    /// <summary>A user message with one text block (a prompt, as a transcript stores it).</summary>
    /// <param name="text">The text.</param>
    public static UserMessage UserText(string text) => new()
    {
        Message = new ApiMessage { Role = "user", Content = [new TextBlock { Text = text }] },
        Uuid = Guid.NewGuid().ToString(),
    };

    /// <summary>An assistant message with one thinking block.</summary>
    /// <param name="text">The reasoning text.</param>
    public static AssistantMessage Thinking(string text) =>
        Build(null, null, new ThinkingBlock { Thinking = text, Signature = "stub-signature" });

    /// <summary>
    /// The <c>result</c> line that ends a turn, with usage, cost and durations filled in. With
    /// <paramref name="isError"/> a session reports the turn as failed (<see cref="FailureKind.ApiError"/>).
    /// </summary>
    /// <param name="text">The turn's final text (or the error text).</param>
    /// <param name="isError">True for a failed turn.</param>
    /// <param name="subtype"><c>success</c>, <c>error_during_execution</c>, <c>error_max_turns</c>, ...</param>
    /// <param name="sessionId">The session id; null lets a stub fill in its own.</param>
    /// <param name="numTurns">API round trips of the turn.</param>
    /// <param name="totalCostUsd">The turn's cost.</param>
    /// <param name="durationMs">The turn's wall time.</param>
    public static ResultMessage Result(string text, bool isError = false, string subtype = "success", string? sessionId = null,
        int numTurns = 1, decimal totalCostUsd = 0.0003m, long durationMs = 40)
    {
        var usage = new Usage { InputTokens = 12, OutputTokens = Math.Max(1, (text.Length + 3) / 4) };
        return new ResultMessage
        {
            Subtype = subtype,
            IsError = isError,
            Result = text,
            SessionId = sessionId,
            NumTurns = numTurns,
            DurationMs = durationMs,
            DurationApiMs = durationMs * 3 / 4,
            TotalCostUsd = totalCostUsd,
            Usage = usage,
            ModelUsage = JsonSerializer.SerializeToElement(new Dictionary<string, object>
            {
                [DefaultModel] = new { inputTokens = usage.InputTokens, outputTokens = usage.OutputTokens, costUSD = totalCostUsd },
            }),
            PermissionDenials = JsonSerializer.SerializeToElement(Array.Empty<object>()),
            StopReason = isError ? "stop_sequence" : "end_turn",
            TerminalReason = isError ? "api_error" : "completed",
            Uuid = Guid.NewGuid().ToString(),
        };
    }

    /// <summary>The <c>system</c>/<c>init</c> line that opens every turn.</summary>
    /// <param name="sessionId">The conversation's session id.</param>
    /// <param name="model">The model of the turn.</param>
    public static SystemMessage SystemInit(string sessionId, string model = DefaultModel) => Init(sessionId, model);

    /// <summary>A partial-message event: a <c>content_block_delta</c> carrying a <c>text_delta</c> (see <see cref="StreamEventMessage.TextDelta"/>).</summary>
    /// <param name="delta">The text fragment.</param>
    /// <param name="index">The content block's index.</param>
    public static StreamEventMessage TextDelta(string delta, int index = 0) => new()
    {
        Event = JsonSerializer.SerializeToElement(new
        {
            type = "content_block_delta",
            index,
            delta = new { type = "text_delta", text = delta },
        }),
        Uuid = Guid.NewGuid().ToString(),
    };

    /// <summary>
    /// The stdout line the CLI would write for <paramref name="message"/> (no newline): what a fake CLI prints,
    /// and what the library's parser reads back into an equal message.
    /// </summary>
    /// <param name="message">Any message of the protocol.</param>
    public static string ToJsonLine(ClaudeMessage message) => message.ToJsonLine();

    /// <summary>An init line; a null session id or model is filled in by the stub that sends it.</summary>
    internal static SystemMessage Init(string? sessionId, string? model) => new()
    {
        Subtype = "init",
        SessionId = sessionId,
        Cwd = Directory.GetCurrentDirectory(),
        Model = model,
        PermissionMode = "default",
        Tools = ["Bash", "Edit", "Read", "Write"],
        McpServers = [],
        ClaudeCodeVersion = "stub",
        Uuid = Guid.NewGuid().ToString(),
    };

    private static AssistantMessage Build(string? sessionId, string? stopReason, params ContentBlock[] blocks) => new()
    {
        Message = new ApiMessage
        {
            Id = NewId("msg_stub_"),
            Model = DefaultModel,
            Role = "assistant",
            Content = blocks,
            StopReason = stopReason,
            Usage = new Usage { InputTokens = 12, OutputTokens = 1 + blocks.Length },
        },
        SessionId = sessionId,
        Uuid = Guid.NewGuid().ToString(),
    };

    private static JsonElement ToElement(object input) => input switch
    {
        JsonElement element => element.Clone(),
        JsonNode node => JsonSerializer.SerializeToElement(node),
        _ => JsonSerializer.SerializeToElement(input, input.GetType()),
    };

    private static string NewId(string prefix) => prefix + Guid.NewGuid().ToString("N")[..24];
}
