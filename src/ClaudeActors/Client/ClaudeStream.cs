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
}
