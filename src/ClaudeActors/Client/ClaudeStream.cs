using System.Runtime.CompilerServices;
using System.Text;
using ClaudeActors.Protocol;

namespace ClaudeActors.Client;

/// <summary>Helpers over a turn's message stream, like the Elixir SDK's <c>ClaudeCode.Stream</c>.</summary>
public static class ClaudeStream
{
    /// <summary>The turn's final text: the result's text, else the assistant text seen (like <c>final_text/1</c>).</summary>
    public static async Task<string> FinalTextAsync(this IAsyncEnumerable<ClaudeMessage> messages, CancellationToken cancellationToken = default)
    {
        string? result = null;
        var lastAssistantText = new StringBuilder();
        await foreach (var message in messages.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            switch (message)
            {
                case AssistantMessage assistant:
                    var text = string.Concat(assistant.Message.Content.OfType<TextBlock>().Select(b => b.Text));
                    if (text.Length > 0) lastAssistantText.Clear().Append(text);
                    break;
                case ResultMessage r:
                    result = r.Result;
                    break;
            }
        }
        return result ?? lastAssistantText.ToString();
    }

    /// <summary>The text of each assistant text block as it completes (like <c>text_content/1</c>).</summary>
    public static async IAsyncEnumerable<string> TextContent(this IAsyncEnumerable<ClaudeMessage> messages,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var message in messages.WithCancellation(cancellationToken).ConfigureAwait(false))
            if (message is AssistantMessage assistant)
                foreach (var block in assistant.Message.Content)
                    if (block is TextBlock { Text.Length: > 0 } text) yield return text.Text;
    }

    /// <summary>Text deltas as they stream (needs <c>IncludePartialMessages</c>).</summary>
    public static async IAsyncEnumerable<string> TextDeltas(this IAsyncEnumerable<ClaudeMessage> messages,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var message in messages.WithCancellation(cancellationToken).ConfigureAwait(false))
            if (message is StreamEventMessage { TextDelta: { } delta }) yield return delta;
    }

    /// <summary>The turn's result message, or null when the stream held none.</summary>
    public static async Task<ResultMessage?> FinalResultAsync(this IAsyncEnumerable<ClaudeMessage> messages, CancellationToken cancellationToken = default)
    {
        ResultMessage? result = null;
        await foreach (var message in messages.WithCancellation(cancellationToken).ConfigureAwait(false))
            if (message is ResultMessage r) result = r;
        return result;
    }

    /// <summary>The text of each thinking block as it completes.</summary>
    public static async IAsyncEnumerable<string> ThinkingContent(this IAsyncEnumerable<ClaudeMessage> messages,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var message in messages.WithCancellation(cancellationToken).ConfigureAwait(false))
            if (message is AssistantMessage assistant)
                foreach (var block in assistant.Message.Content)
                    if (block is ThinkingBlock { Thinking.Length: > 0 } thinking) yield return thinking.Thinking;
    }

    /// <summary>Thinking deltas as they stream (needs <c>IncludePartialMessages</c>).</summary>
    public static async IAsyncEnumerable<string> ThinkingDeltas(this IAsyncEnumerable<ClaudeMessage> messages,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var message in messages.WithCancellation(cancellationToken).ConfigureAwait(false))
            if (message is StreamEventMessage { ThinkingDelta: { } delta }) yield return delta;
    }

    /// <summary>Every tool the model asked for, in order.</summary>
    public static async IAsyncEnumerable<ToolUseBlock> ToolUses(this IAsyncEnumerable<ClaudeMessage> messages,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var message in messages.WithCancellation(cancellationToken).ConfigureAwait(false))
            if (message is AssistantMessage assistant)
                foreach (var block in assistant.Message.Content.OfType<ToolUseBlock>()) yield return block;
    }

    /// <summary>Tool results, each with the name of the tool that produced it; only <paramref name="toolName"/>'s when given.</summary>
    public static async IAsyncEnumerable<(string ToolName, ToolResultBlock Result)> ToolResults(this IAsyncEnumerable<ClaudeMessage> messages,
        string? toolName = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var names = new Dictionary<string, string>();
        await foreach (var message in messages.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            switch (message)
            {
                case AssistantMessage assistant:
                    foreach (var use in assistant.Message.Content.OfType<ToolUseBlock>()) names[use.Id] = use.Name;
                    break;
                case UserMessage user:
                    foreach (var result in user.Message.Content.OfType<ToolResultBlock>())
                    {
                        var name = names.GetValueOrDefault(result.ToolUseId, "");
                        if (toolName is null || name == toolName) yield return (name, result);
                    }
                    break;
            }
        }
    }

    /// <summary>Only the messages of type <typeparamref name="T"/>.</summary>
    public static async IAsyncEnumerable<T> OfMessageType<T>(this IAsyncEnumerable<ClaudeMessage> messages,
        [EnumeratorCancellation] CancellationToken cancellationToken = default) where T : ClaudeMessage
    {
        await foreach (var message in messages.WithCancellation(cancellationToken).ConfigureAwait(false))
            if (message is T typed) yield return typed;
    }

    /// <summary>The messages up to and including the first <see cref="ResultMessage"/>.</summary>
    public static async IAsyncEnumerable<ClaudeMessage> UntilResult(this IAsyncEnumerable<ClaudeMessage> messages,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var message in messages.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            yield return message;
            if (message is ResultMessage) yield break;
        }
    }

    /// <summary>Runs the stream to its end and gathers it: every message, the result, the final text and the tool uses.</summary>
    public static async Task<CollectedTurn> CollectAsync(this IAsyncEnumerable<ClaudeMessage> messages, CancellationToken cancellationToken = default)
    {
        var all = new List<ClaudeMessage>();
        await foreach (var message in messages.WithCancellation(cancellationToken).ConfigureAwait(false)) all.Add(message);
        var result = all.OfType<ResultMessage>().LastOrDefault();
        var text = result?.Result ?? string.Concat(all.OfType<AssistantMessage>().LastOrDefault()?.Message.Content.OfType<TextBlock>().Select(b => b.Text) ?? []);
        var toolUses = all.OfType<AssistantMessage>().SelectMany(a => a.Message.Content.OfType<ToolUseBlock>()).ToList();
        return new CollectedTurn(all, result, text, toolUses);
    }
}

/// <summary>A whole turn, gathered by <see cref="ClaudeStream.CollectAsync"/>.</summary>
/// <param name="Messages">Every message, in order.</param>
/// <param name="Result">The result message, when the stream had one.</param>
/// <param name="Text">The final text.</param>
/// <param name="ToolUses">The tools the model asked for.</param>
public sealed record CollectedTurn(IReadOnlyList<ClaudeMessage> Messages, ResultMessage? Result, string Text, IReadOnlyList<ToolUseBlock> ToolUses);
