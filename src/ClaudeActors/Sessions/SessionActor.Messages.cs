namespace ClaudeActors.Sessions;

// The messages between a SessionActor and its parent, and those it sends itself (timers, piped results). Local only:
// the public protocol is in SessionProtocol.cs.
internal sealed partial class SessionActor
{
    /// <summary>
    /// Told to a parent that asked for turn reports (<see cref="TurnReporting"/>) after each turn: a persistent parent
    /// copies the transcript's new lines and, when the session journals its turns, answers <see cref="TurnJournaled"/>
    /// once they are in the journal.
    /// </summary>
    internal sealed record SessionTurnCompleted(string Name, string? SessionId, decimal? CostUsd, string QueryId);

    /// <summary>The parent's answer to <see cref="SessionTurnCompleted"/>: the turn's transcript lines are journaled.</summary>
    internal sealed record TurnJournaled(string QueryId);

    /// <summary>Makes the actor throw: lets tests prove that a failing session restarts and keeps its conversation.</summary>
    internal sealed record SimulateFailure(string Reason);

    private sealed record JournalTimedOut(string QueryId);
    private sealed record QueryTimedOut(string QueryId);
    private sealed record ControlTimedOut(string RequestId);
    private sealed record InitTimedOut(int Generation);
    private sealed record RestartCli(int Generation);
    private sealed record AbandonedTurnElapsed(string QueryId);
    private sealed record CallbackCompleted(string RequestId, object? Result, Exception? Error);
    private sealed record McpAnswered(string RequestId, int Generation, System.Text.Json.Nodes.JsonNode? Response);

    private sealed class StopDeadline
    {
        public static readonly StopDeadline Instance = new();
    }
}
