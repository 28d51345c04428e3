using Microsoft.Extensions.AI;

namespace ClaudeActors.AI;

/// <summary>
/// What one call sends to the session. The conversation lives in the CLI, so only the new user input is sent: the
/// user messages after the last message of any other role (assistant, tool) — everything before it is taken as
/// already in the session. System messages and <see cref="ChatOptions.Instructions"/> can only shape a session that
/// is started for the call; they are returned as <see cref="Instructions"/> for that case.
/// </summary>
internal sealed record ChatInput(string Prompt, string? Instructions)
{
    public static ChatInput From(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        ArgumentNullException.ThrowIfNull(messages);
        Check(options);
        var list = messages as IReadOnlyList<ChatMessage> ?? messages.ToList();
        var start = list.Count;
        while (start > 0 && (list[start - 1].Role == ChatRole.User || list[start - 1].Role == ChatRole.System)) start--;

        var parts = new List<string>();
        foreach (var message in list.Skip(start).Where(m => m.Role == ChatRole.User))
        {
            foreach (var content in message.Contents)
            {
                switch (content)
                {
                    case TextContent text:
                        if (!string.IsNullOrWhiteSpace(text.Text)) parts.Add(text.Text);
                        break;
                    default:
                        // A prompt that silently lost an image or a file would be answered wrongly.
                        throw new NotSupportedException(
                            $"The Claude CLI session takes text prompts only; the user message holds {content.GetType().Name}.");
                }
            }
        }
        if (parts.Count == 0)
            throw new ArgumentException(
                "There is no new user message to send: the session keeps the conversation, so a call needs user text after the last assistant or tool message.",
                nameof(messages));

        var instructions = list.Where(m => m.Role == ChatRole.System).Select(m => m.Text)
            .Append(options?.Instructions ?? "")
            .Where(t => !string.IsNullOrWhiteSpace(t)).ToList();
        return new ChatInput(string.Join("\n\n", parts), instructions.Count == 0 ? null : string.Join("\n\n", instructions));
    }

    /// <summary>
    /// Options whose loss would change the answer fail the call; the sampling knobs (temperature, top-p/k, max
    /// output tokens, stop sequences, seed, penalties) are left to the CLI, which sets them itself.
    /// </summary>
    private static void Check(ChatOptions? options)
    {
        if (options is null) return;
        if (options.Tools is { Count: > 0 })
            throw new NotSupportedException(
                "Tools cannot be given per call: the CLI runs its own tools, and in-process tools are set when the session starts " +
                "(SessionOptions.Callbacks.McpServers, e.g. SdkTool.From(function)).");
        if (options.ResponseFormat is ChatResponseFormatJson)
            throw new NotSupportedException(
                "A JSON response format cannot be asked per call; start the session with SessionOptions.JsonSchema instead.");
    }
}
