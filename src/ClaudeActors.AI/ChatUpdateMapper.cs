using System.Text.Json;
using ClaudeActors.Protocol;
using Microsoft.Extensions.AI;

namespace ClaudeActors.AI;

/// <summary>
/// Maps the messages of one turn, in the CLI's order, to <see cref="ChatResponseUpdate"/>s. One instance per turn:
/// it remembers which API messages already streamed their text as deltas, so their complete copies do not repeat it.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>stream_event</c> text and thinking deltas become <see cref="TextContent"/> and <see cref="TextReasoningContent"/>.</item>
/// <item>An <c>assistant</c> line gives its text and thinking blocks (unless they streamed already) and its
/// <c>tool_use</c> blocks as <see cref="FunctionCallContent"/> with <see cref="FunctionCallContent.InformationalOnly"/>:
/// the CLI runs its tools itself, so a <c>FunctionInvokingChatClient</c> upstream must not run them again.</item>
/// <item>A <c>user</c> line's tool results become <see cref="FunctionResultContent"/> of role <see cref="ChatRole.Tool"/>.</item>
/// <item>The <c>result</c> line ends the response: usage, finish reason, cost and durations.</item>
/// <item>Sub-agent traffic (<c>parent_tool_use_id</c> set), replayed prompts, <c>system</c> and control lines give no
/// update: the response is the main conversation's.</item>
/// </list>
/// Every update carries its line in <see cref="ChatResponseUpdate.RawRepresentation"/>.
/// </remarks>
internal sealed class ChatUpdateMapper(string? sessionId = null, string? modelId = null)
{
    private readonly HashSet<string> _streamedMessages = new(StringComparer.Ordinal);
    private string? _streamingMessageId;
    private bool _streamedWithoutId;

    /// <summary>The conversation's session id, as the last line told it.</summary>
    public string? SessionId { get; private set; } = sessionId;

    /// <summary>The model of the turn, as the last line told it.</summary>
    public string? ModelId { get; private set; } = modelId;

    /// <summary>The turn's result line, once it arrived.</summary>
    public ResultMessage? Result { get; private set; }

    public IEnumerable<ChatResponseUpdate> Map(ClaudeMessage message)
    {
        switch (message)
        {
            case SystemMessage system:
                if (system.SessionId is { Length: > 0 } id) SessionId = id;
                if (system.IsInit && system.Model is { Length: > 0 } model) ModelId = model;
                return [];
            case StreamEventMessage { ParentToolUseId: null } streamEvent:
                return MapStreamEvent(streamEvent);
            case AssistantMessage { ParentToolUseId: null } assistant:
                return MapAssistant(assistant);
            case UserMessage { ParentToolUseId: null, IsReplay: false } user:
                return MapToolResults(user);
            case ResultMessage result:
                return [MapResult(result)];
            default:
                return [];
        }
    }

    private IEnumerable<ChatResponseUpdate> MapStreamEvent(StreamEventMessage message)
    {
        if (message.SessionId is { Length: > 0 } id) SessionId = id;
        if (message.EventType == "message_start" && message.Event.TryGetProperty("message", out var start))
        {
            _streamingMessageId = start.TryGetProperty("id", out var messageId) ? messageId.GetString() : null;
            if (start.TryGetProperty("model", out var model) && model.GetString() is { Length: > 0 } name) ModelId = name;
            return [];
        }
        AIContent? content = message.TextDelta is { } text ? new TextContent(text)
            : message.ThinkingDelta is { } thinking ? new TextReasoningContent(thinking)
            : null;
        if (content is null) return [];
        if (_streamingMessageId is { } streaming) _streamedMessages.Add(streaming);
        else _streamedWithoutId = true;
        content.RawRepresentation = message;
        return [Update(ChatRole.Assistant, _streamingMessageId, message, content)];
    }

    private IEnumerable<ChatResponseUpdate> MapAssistant(AssistantMessage message)
    {
        if (message.SessionId is { Length: > 0 } id) SessionId = id;
        if (message.Message.Model is { Length: > 0 } model) ModelId = model;
        var messageId = message.Message.Id;
        // The CLI writes one assistant line per content block, all with the API message's id; the deltas of a
        // streamed message already carried its text and thinking.
        var streamed = messageId is not null ? _streamedMessages.Contains(messageId) : _streamedWithoutId;
        var contents = new List<AIContent>();
        foreach (var block in message.Message.Content)
        {
            AIContent? content = block switch
            {
                TextBlock { Text.Length: > 0 } text when !streamed => new TextContent(text.Text),
                ThinkingBlock { Thinking.Length: > 0 } thinking when !streamed => new TextReasoningContent(thinking.Thinking),
                ToolUseBlock toolUse => new FunctionCallContent(toolUse.Id, toolUse.Name, Arguments(toolUse.Input)) { InformationalOnly = true },
                _ => null,
            };
            if (content is null) continue;
            content.RawRepresentation = block;
            contents.Add(content);
        }
        return contents.Count == 0 ? [] : [Update(ChatRole.Assistant, messageId, message, [.. contents])];
    }

    private IEnumerable<ChatResponseUpdate> MapToolResults(UserMessage message)
    {
        var contents = new List<AIContent>();
        foreach (var result in message.Message.Content.OfType<ToolResultBlock>())
        {
            var content = new FunctionResultContent(result.ToolUseId, result.ContentText) { RawRepresentation = result };
            if (result.IsError == true) content.AdditionalProperties = new() { [ClaudeChatProperties.IsError] = true };
            contents.Add(content);
        }
        return contents.Count == 0 ? [] : [Update(ChatRole.Tool, message.Uuid, message, [.. contents])];
    }

    private ChatResponseUpdate MapResult(ResultMessage result)
    {
        Result = result;
        if (result.SessionId is { Length: > 0 } id) SessionId = id;
        var update = new ChatResponseUpdate
        {
            // No role and no message id: the usage and the finish reason belong to the response, not to a new message.
            ResponseId = result.Uuid,
            ConversationId = SessionId,
            ModelId = ModelId,
            CreatedAt = DateTimeOffset.UtcNow,
            FinishReason = FinishReason(result),
            RawRepresentation = result,
            AdditionalProperties = Properties(result),
        };
        if (result.Usage is { } usage) update.Contents.Add(new UsageContent(Usage(usage)) { RawRepresentation = usage });
        return update;
    }

    private ChatResponseUpdate Update(ChatRole role, string? messageId, ClaudeMessage raw, params AIContent[] contents) => new(role, contents.ToList())
    {
        MessageId = messageId,
        ConversationId = SessionId,
        ModelId = ModelId,
        CreatedAt = DateTimeOffset.UtcNow,
        RawRepresentation = raw,
    };

    /// <summary>Anthropic counts cache reads and writes apart from <c>input_tokens</c>; Microsoft.Extensions.AI counts them in.</summary>
    internal static UsageDetails Usage(Usage usage)
    {
        var input = usage.InputTokens + usage.CacheCreationInputTokens + usage.CacheReadInputTokens;
        return new UsageDetails
        {
            InputTokenCount = input,
            OutputTokenCount = usage.OutputTokens,
            TotalTokenCount = input + usage.OutputTokens,
            CachedInputTokenCount = usage.CacheReadInputTokens,
            AdditionalCounts = new() { [ClaudeChatProperties.CacheCreationInputTokens] = usage.CacheCreationInputTokens },
        };
    }

    internal static ChatFinishReason? FinishReason(ResultMessage result) => result.StopReason switch
    {
        "end_turn" or "stop_sequence" => ChatFinishReason.Stop,
        "max_tokens" or "model_context_window_exceeded" => ChatFinishReason.Length,
        "tool_use" => ChatFinishReason.ToolCalls,
        "refusal" => ChatFinishReason.ContentFilter,
        { Length: > 0 } other => new ChatFinishReason(other),
        _ => result.IsError ? null : ChatFinishReason.Stop,
    };

    private static AdditionalPropertiesDictionary Properties(ResultMessage result)
    {
        // Only what the result line says about the turn: never an option of the session (its environment may hold keys).
        var properties = new AdditionalPropertiesDictionary
        {
            [ClaudeChatProperties.DurationMs] = result.DurationMs,
            [ClaudeChatProperties.DurationApiMs] = result.DurationApiMs,
            [ClaudeChatProperties.NumTurns] = result.NumTurns,
        };
        if (result.TotalCostUsd is { } cost) properties[ClaudeChatProperties.TotalCostUsd] = cost;
        return properties;
    }

    private static Dictionary<string, object?> Arguments(JsonElement input)
    {
        var arguments = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (input.ValueKind == JsonValueKind.Object)
            foreach (var property in input.EnumerateObject())
                arguments[property.Name] = property.Value.Clone();
        return arguments;
    }
}
