using System.Text.Json.Nodes;

namespace ClaudeActors.Testing;

/// <summary>
/// One HTTP request received by <see cref="FakeMessagesApi"/>, parsed for assertions.
/// Requests that are not Messages API calls (any other path) are recorded too, with an empty message list.
/// </summary>
public sealed class FakeApiRequest
{
    private string? _replyText;
    private int _statusCode = 200;

    /// <summary>Position of this request among all requests the server received (0-based).</summary>
    public required long Sequence { get; init; }

    /// <summary>When the request arrived.</summary>
    public required DateTimeOffset Timestamp { get; init; }

    /// <summary>HTTP method, e.g. <c>POST</c>.</summary>
    public required string Method { get; init; }

    /// <summary>Request path without the query string, e.g. <c>/v1/messages</c>.</summary>
    public required string Path { get; init; }

    /// <summary>Query string including the leading <c>?</c> (e.g. <c>?beta=true</c>), or empty.</summary>
    public required string QueryString { get; init; }

    /// <summary>Request headers (names lower-case, multiple values joined with a comma).</summary>
    public required IReadOnlyDictionary<string, string> Headers { get; init; }

    /// <summary>The raw request body as text (empty when there was none).</summary>
    public required string RawBody { get; init; }

    /// <summary>The <c>model</c> field, or <c>null</c>.</summary>
    public string? Model { get; init; }

    /// <summary>The <c>stream</c> field (false when absent).</summary>
    public bool Stream { get; init; }

    /// <summary>The <c>max_tokens</c> field, or <c>null</c>.</summary>
    public int? MaxTokens { get; init; }

    /// <summary>
    /// The system prompt as text: the <c>system</c> string, or the texts of its blocks joined with a newline;
    /// <c>null</c> when absent.
    /// </summary>
    public string? System { get; init; }

    /// <summary>The <c>messages</c> array, parsed.</summary>
    public IReadOnlyList<FakeApiMessage> Messages { get; init; } = [];

    /// <summary>The names of the tools offered to the model (the <c>tools</c> array).</summary>
    public IReadOnlyList<string> Tools { get; init; } = [];

    /// <summary>True for <c>POST /v1/messages</c> (the generation endpoint).</summary>
    public bool IsMessages => Method == "POST" && Path == "/v1/messages";

    /// <summary>True for <c>POST /v1/messages/count_tokens</c>.</summary>
    public bool IsCountTokens => Method == "POST" && Path == "/v1/messages/count_tokens";

    /// <summary>
    /// True when this is a generation request of the user's conversation, false for the CLI's side requests
    /// (quota probe, title generation, ...) and for every other endpoint.
    /// Rule: <c>POST /v1/messages</c> whose <c>tools</c> array is not empty. The CLI offers its tool set only on
    /// the conversation's requests (main loop and tool follow-ups); its side requests carry no tools.
    /// </summary>
    public bool IsConversation => IsMessages && Tools.Count > 0;

    /// <summary>The last message with role <c>user</c>, or <c>null</c>.</summary>
    public FakeApiMessage? LastUserMessage
    {
        get
        {
            for (var i = Messages.Count - 1; i >= 0; i--)
                if (Messages[i].Role == "user") return Messages[i];
            return null;
        }
    }

    /// <summary>
    /// The text the user typed last: the last text block of the last user message that is not CLI-injected
    /// (see <see cref="FakeApiMessage.UserText"/>), trimmed; empty when the last user message holds only
    /// tool results or injected text. The CLI merges consecutive user prompts (one sent after a failed or
    /// interrupted turn, or queued while a turn runs) into one API message with one text block each:
    /// this is the newest of them.
    /// </summary>
    public string LastUserText => LastUserMessage?.UserTextBlocks.LastOrDefault() ?? "";

    /// <summary>The user-typed text blocks of all user messages, oldest first (see <see cref="FakeApiMessage.UserTextBlocks"/>).</summary>
    public IReadOnlyList<string> UserTexts =>
        Messages.Where(m => m.Role == "user").SelectMany(m => m.UserTextBlocks).ToArray();

    /// <summary>
    /// What the fake answered with (<see cref="FakeReply.Describe"/>: the text of a text reply,
    /// <c>tool_use NAME {input}</c>, <c>error STATUS TYPE: MESSAGE</c>); <c>null</c> until the reply was chosen
    /// and for other endpoints.
    /// </summary>
    public string? ReplyText { get => Volatile.Read(ref _replyText); internal set => Volatile.Write(ref _replyText, value); }

    /// <summary>The HTTP status code the fake answered with.</summary>
    public int StatusCode { get => Volatile.Read(ref _statusCode); internal set => Volatile.Write(ref _statusCode, value); }

    /// <summary>The request body parsed as JSON, or <c>null</c> when it was not JSON.</summary>
    public JsonNode? ParseBody()
    {
        try { return RawBody.Length == 0 ? null : JsonNode.Parse(RawBody); }
        catch (System.Text.Json.JsonException) { return null; }
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"#{Sequence} {Method} {Path}{QueryString} model={Model} stream={Stream} tools={Tools.Count} conversation={IsConversation} last=\"{Truncate(LastUserText, 60)}\"";

    private static string Truncate(string s, int n) => s.Length <= n ? s : s[..n] + "…";
}

/// <summary>One entry of a request's <c>messages</c> array.</summary>
public sealed class FakeApiMessage
{
    /// <summary>Creates a message.</summary>
    /// <param name="role">The role, <c>user</c> or <c>assistant</c>.</param>
    /// <param name="content">The content blocks (a string content becomes one text block).</param>
    public FakeApiMessage(string role, IReadOnlyList<FakeApiContentBlock> content)
    {
        Role = role;
        Content = content;
    }

    /// <summary>The role, <c>user</c> or <c>assistant</c>.</summary>
    public string Role { get; }

    /// <summary>The content blocks, in order.</summary>
    public IReadOnlyList<FakeApiContentBlock> Content { get; }

    /// <summary>All text blocks joined with a newline (including CLI-injected reminders).</summary>
    public string Text => string.Join("\n", Content.Where(b => b.Type == "text").Select(b => b.Text ?? ""));

    /// <summary>
    /// The text a person wrote: text blocks joined with a newline, after dropping blocks the CLI injects
    /// (those that start with <c>&lt;system-reminder&gt;</c>, <c>&lt;local-command-</c>, <c>&lt;command-</c> or
    /// <c>[Request interrupted by user</c>) and removing <c>&lt;system-reminder&gt;…&lt;/system-reminder&gt;</c> sections; trimmed.
    /// </summary>
    public string UserText => string.Join("\n", UserTextBlocks);

    /// <summary>The user-typed text blocks of this message (same filtering as <see cref="UserText"/>), each trimmed,
    /// empty ones dropped.</summary>
    public IReadOnlyList<string> UserTextBlocks => Content
        .Where(b => b.Type == "text")
        .Select(b => FakeApiText.StripInjected(b.Text ?? ""))
        .Where(t => t.Length > 0)
        .ToArray();

    /// <summary>The <c>tool_use</c> blocks of this message.</summary>
    public IEnumerable<FakeApiContentBlock> ToolUses => Content.Where(b => b.Type == "tool_use");

    /// <summary>The <c>tool_result</c> blocks of this message.</summary>
    public IEnumerable<FakeApiContentBlock> ToolResults => Content.Where(b => b.Type == "tool_result");

    /// <inheritdoc />
    public override string ToString() => $"{Role}: {string.Join(" | ", Content)}";
}

/// <summary>One content block of a request message (text, tool_use, tool_result, or anything else kept raw).</summary>
public sealed class FakeApiContentBlock
{
    /// <summary>The block's <c>type</c> (<c>text</c>, <c>tool_use</c>, <c>tool_result</c>, <c>image</c>, ...).</summary>
    public required string Type { get; init; }

    /// <summary>The text of a <c>text</c> block (or of a <c>thinking</c> block), otherwise <c>null</c>.</summary>
    public string? Text { get; init; }

    /// <summary>The id of a <c>tool_use</c> block, or the <c>tool_use_id</c> of a <c>tool_result</c> block.</summary>
    public string? ToolUseId { get; init; }

    /// <summary>The tool name of a <c>tool_use</c> block.</summary>
    public string? ToolName { get; init; }

    /// <summary>The input of a <c>tool_use</c> block.</summary>
    public JsonNode? Input { get; init; }

    /// <summary>The text of a <c>tool_result</c> block (a string content, or its text blocks joined with a newline).</summary>
    public string? ToolResultText { get; init; }

    /// <summary>The <c>is_error</c> flag of a <c>tool_result</c> block.</summary>
    public bool IsError { get; init; }

    /// <summary>The block as it was sent, as JSON text.</summary>
    public required string RawJson { get; init; }

    /// <inheritdoc />
    public override string ToString() => Type switch
    {
        "text" => $"text \"{Text}\"",
        "tool_use" => $"tool_use {ToolName} {Input?.ToJsonString()}",
        "tool_result" => $"tool_result{(IsError ? " (error)" : "")} \"{ToolResultText}\"",
        _ => Type,
    };
}
