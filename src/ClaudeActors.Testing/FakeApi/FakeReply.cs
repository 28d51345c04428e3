using System.Text.Json;
using System.Text.Json.Nodes;

namespace ClaudeActors.Testing;

/// <summary>The kind of a <see cref="FakeReply"/>.</summary>
public enum FakeReplyKind
{
    /// <summary>An assistant message with one text block, <c>stop_reason: end_turn</c>.</summary>
    Text,

    /// <summary>An assistant message with a <c>tool_use</c> block (optionally preceded by text), <c>stop_reason: tool_use</c>.</summary>
    ToolUse,

    /// <summary>An HTTP error with an Anthropic error body.</summary>
    Error,
}

/// <summary>
/// A scripted answer of <see cref="FakeMessagesApi"/>. Immutable: the <c>With…</c> methods return a copy.
/// </summary>
public sealed record FakeReply
{
    private FakeReply(FakeReplyKind kind) => Kind = kind;

    /// <summary>What this reply is.</summary>
    public FakeReplyKind Kind { get; }

    /// <summary>The text of a <see cref="FakeReplyKind.Text"/> reply, or the text before the tool call of a
    /// <see cref="FakeReplyKind.ToolUse"/> reply (may be <c>null</c>).</summary>
    public string? TextContent { get; init; }

    /// <summary>The tool name of a <see cref="FakeReplyKind.ToolUse"/> reply.</summary>
    public string? ToolName { get; init; }

    /// <summary>The tool input of a <see cref="FakeReplyKind.ToolUse"/> reply (a JSON object).</summary>
    public JsonNode? ToolInput { get; init; }

    /// <summary>The <c>tool_use</c> id; generated (<c>toolu_fake_…</c>) when <c>null</c>.</summary>
    public string? ToolUseId { get; init; }

    /// <summary>The HTTP status of an <see cref="FakeReplyKind.Error"/> reply.</summary>
    public int ErrorStatus { get; init; }

    /// <summary>The <c>error.type</c> of an <see cref="FakeReplyKind.Error"/> reply (e.g. <c>invalid_request_error</c>).</summary>
    public string? ErrorType { get; init; }

    /// <summary>The <c>error.message</c> of an <see cref="FakeReplyKind.Error"/> reply.</summary>
    public string? ErrorMessage { get; init; }

    /// <summary>Delay before the response starts (before the HTTP status is sent).</summary>
    public TimeSpan InitialDelay { get; init; }

    /// <summary>Delay between two streamed deltas. When positive, the text is split into <see cref="Chunks"/> deltas.</summary>
    public TimeSpan ChunkDelay { get; init; }

    /// <summary>Number of <c>text_delta</c> events the text is split into when <see cref="ChunkDelay"/> is positive (default 10).</summary>
    public int Chunks { get; init; } = 10;

    /// <summary>Overrides the reported <c>usage.input_tokens</c> (default: derived from the request body size).</summary>
    public int? InputTokens { get; init; }

    /// <summary>Overrides the reported <c>usage.output_tokens</c> (default: derived from the reply length).</summary>
    public int? OutputTokens { get; init; }

    /// <summary>A text answer.</summary>
    /// <param name="text">The assistant text.</param>
    public static FakeReply Text(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new FakeReply(FakeReplyKind.Text) { TextContent = text };
    }

    /// <summary>A tool call: streamed as <c>content_block_start</c> with input <c>{}</c>, then <c>input_json_delta</c>s,
    /// then <c>stop_reason: tool_use</c>.</summary>
    /// <param name="toolName">The tool to call, e.g. <c>Bash</c> or <c>mcp__calc__add</c>.</param>
    /// <param name="input">The input object (serialized with System.Text.Json defaults).</param>
    /// <param name="id">The tool_use id; generated when <c>null</c>.</param>
    public static FakeReply ToolUse(string toolName, object input, string? id = null) =>
        ToolUse(toolName, input as JsonNode ?? JsonSerializer.SerializeToNode(input) ?? new JsonObject(), id);

    /// <summary>A tool call with a JSON input.</summary>
    /// <param name="toolName">The tool to call, e.g. <c>Bash</c>.</param>
    /// <param name="input">The input, a JSON object.</param>
    /// <param name="id">The tool_use id; generated when <c>null</c>.</param>
    public static FakeReply ToolUse(string toolName, JsonNode input, string? id = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(toolName);
        ArgumentNullException.ThrowIfNull(input);
        return new FakeReply(FakeReplyKind.ToolUse) { ToolName = toolName, ToolInput = input.DeepClone(), ToolUseId = id };
    }

    /// <summary>An HTTP error with body <c>{"type":"error","error":{"type":errorType,"message":message}}</c>.
    /// The CLI does not retry 4xx other than 401/408/409/429; it retries 401, 429 and 5xx many times with backoff.</summary>
    /// <param name="status">HTTP status, e.g. 400.</param>
    /// <param name="errorType">Anthropic error type, e.g. <c>invalid_request_error</c>, <c>overloaded_error</c>.</param>
    /// <param name="message">The error message.</param>
    public static FakeReply Error(int status, string errorType, string message) =>
        new(FakeReplyKind.Error) { ErrorStatus = status, ErrorType = errorType, ErrorMessage = message };

    /// <summary>Returns a copy that waits <paramref name="delay"/> before answering.</summary>
    /// <param name="delay">The delay.</param>
    public FakeReply WithInitialDelay(TimeSpan delay) => this with { InitialDelay = delay };

    /// <summary>Returns a copy that streams its text in <paramref name="chunks"/> deltas, waiting
    /// <paramref name="delay"/> between them (slow streaming, for interrupt and timeout tests).</summary>
    /// <param name="delay">The delay between two deltas.</param>
    /// <param name="chunks">How many deltas (at most one per character).</param>
    public FakeReply WithChunkDelay(TimeSpan delay, int chunks = 10) =>
        this with { ChunkDelay = delay, Chunks = Math.Max(1, chunks) };

    /// <summary>Returns a copy with text before the tool call (only meaningful for <see cref="FakeReplyKind.ToolUse"/>).</summary>
    /// <param name="text">The text block sent before the tool_use block.</param>
    public FakeReply WithLeadingText(string text) => this with { TextContent = text };

    /// <summary>Returns a copy that reports the given token usage.</summary>
    /// <param name="inputTokens">The <c>usage.input_tokens</c>.</param>
    /// <param name="outputTokens">The <c>usage.output_tokens</c>.</param>
    public FakeReply WithUsage(int inputTokens, int outputTokens) => this with { InputTokens = inputTokens, OutputTokens = outputTokens };

    /// <summary>The text recorded in <see cref="FakeApiRequest.ReplyText"/> for this reply.</summary>
    public string Describe() => Kind switch
    {
        FakeReplyKind.Text => TextContent ?? "",
        FakeReplyKind.ToolUse => $"tool_use {ToolName} {ToolInput?.ToJsonString()}",
        _ => $"error {ErrorStatus} {ErrorType}: {ErrorMessage}",
    };
}
