namespace ClaudeActors.Sessions;

/// <summary>What a session's parent wants to hear of each finished turn; given at Props time.</summary>
internal enum TurnReporting
{
    /// <summary>Nothing: the local supervisor keeps no record of turns.</summary>
    None,

    /// <summary>A <see cref="SessionActor.SessionTurnCompleted"/> after each turn (the parent counts turns and copies transcripts).</summary>
    Report,

    /// <summary>
    /// As <see cref="Report"/>, and a finished turn is answered only once the parent has journaled its transcript lines
    /// (<see cref="SessionActor.TurnJournaled"/>), so an answer the caller saw is never missing from the conversation
    /// that a survivor node resumes.
    /// </summary>
    ReportAndAwaitJournal,
}
