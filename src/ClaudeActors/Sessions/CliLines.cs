using System.Text.Json;
using ClaudeActors.Protocol;

namespace ClaudeActors.Sessions;

/// <summary>What the session reads off its CLI's output lines besides their content: whose conversation, and the turn's end.</summary>
internal static class CliLines
{
    /// <summary>The conversation a line of a turn belongs to (a fork or <c>--continue</c> learns its id this way).</summary>
    public static string? SessionIdOf(ClaudeMessage message) => message switch
    {
        SystemMessage m => m.SessionId,
        AssistantMessage m => m.SessionId,
        UserMessage m => m.SessionId,
        ResultMessage m => m.SessionId,
        StreamEventMessage m => m.SessionId,
        _ => null,
    };

    /// <summary>The line that ends a turn, if <paramref name="message"/> is one: a result, readable or not.</summary>
    public static ResultMessage? ResultOf(ClaudeMessage message) => message switch
    {
        ResultMessage r => r,
        UnknownMessage { Type: "result" } unreadable => UnreadableResult(unreadable),
        _ => null,
    };

    // A result line the typed model could not read still ends the turn: as a failure, never as a wait.
    private static ResultMessage UnreadableResult(UnknownMessage raw) => new()
    {
        Subtype = raw.Raw.TryGetProperty("subtype", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString()! : "unreadable",
        IsError = true,
        Result = "The CLI's result line could not be read.",
        SessionId = raw.Raw.TryGetProperty("session_id", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null,
        TerminalReason = FailureClassifier.UnreadableReason,
    };
}
