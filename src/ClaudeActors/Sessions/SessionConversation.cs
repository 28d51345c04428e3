using ClaudeActors.History;

namespace ClaudeActors.Sessions;

/// <summary>Reads a session's conversation from the transcript its CLI writes (<see cref="GetConversation"/>).</summary>
internal static class SessionConversation
{
    /// <summary>
    /// The conversation so far: empty while the CLI has written no transcript that <c>--resume</c> could load, and a
    /// failure (never an exception) when the transcript cannot be read.
    /// </summary>
    public static async Task<ConversationResult> ReadAsync(SessionMemory memory, SessionOptions options)
    {
        if (memory.SessionId is not { } sessionId || !memory.ConversationPersisted)
            return new ConversationResult(new Conversation(memory.SessionId ?? "", "", [], []), null);
        var config = ConversationHistory.ConfigDirectory(options.Environment);
        var workingDirectory = options.WorkingDirectory ?? Directory.GetCurrentDirectory();
        try
        {
            return new ConversationResult(await ConversationHistory.ReadAsync(sessionId, config, workingDirectory).ConfigureAwait(false), null);
        }
        catch (Exception ex)
        {
            return new ConversationResult(null, ex is ClaudeSessionException cse
                ? cse.Failure
                : new SessionFailure(FailureKind.SessionNotFound, "The transcript could not be read: " + ex.Message));
        }
    }
}
