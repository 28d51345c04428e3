namespace ClaudeActors.Sessions;

/// <summary>
/// What a session must not forget when its actor is restarted: the conversation's id, whether the CLI has
/// written a transcript that <c>--resume</c> can load, the effective options (model and permission mode changed
/// at runtime) and the restart history. Held by the Props, so it outlives one actor instance; touched only by
/// the actor that owns it, one instance at a time.
/// </summary>
internal sealed class SessionMemory(SessionOptions options)
{
    public bool Started { get; set; }
    public string? SessionId { get; set; }
    public bool ConversationPersisted { get; set; }
    public SessionOptions Effective { get; set; } = options;
    public string? Model { get; set; } = options.Model;
    public int RestartCount { get; set; }
    /// <summary>CLIs replaced for memory (over the limit, or the hard ceiling).</summary>
    public int RecycleCount { get; set; }
    public Queue<DateTimeOffset> RecentRestarts { get; } = new();
    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

    /// <summary>
    /// What a replacement CLI resumes: the conversation, once a CLI has written a transcript that <c>--resume</c> can
    /// load; before that (or without persistence) it starts afresh under the options it has.
    /// </summary>
    public string? ResumeId =>
        ConversationPersisted && SessionId is not null && !Effective.NoSessionPersistence ? SessionId : null;

    /// <summary>A fresh conversation (<see cref="ClearSession"/>): a new id, and nothing for the next CLI to resume or continue.</summary>
    public void Clear()
    {
        SessionId = SessionIds.New();
        ConversationPersisted = false;
        Effective = Effective with { Resume = null, Continue = false, ForkSession = false, SessionId = SessionId };
    }

    /// <summary>
    /// The first start of the session: the conversation's id, as far as it is known before the first turn. A fresh
    /// conversation gets its id from the host, so the id is known before the first turn and a restart before any turn
    /// can reuse it. A fork gets its new id from the host too (<c>--session-id</c> with <c>--fork-session</c>); resuming
    /// keeps the id; <c>--continue</c> without a fork learns its id with the first turn.
    /// </summary>
    public void Begin(SessionOptions options)
    {
        Started = true;
        if ((options.Resume is null && !options.Continue) || options.ForkSession)
        {
            SessionId = options.SessionId ?? SessionIds.New();
            Effective = options with { SessionId = SessionId };
        }
        else if (options is { Resume: { } resumed, ForkSession: false })
        {
            SessionId = resumed;
            ConversationPersisted = true;
        }
    }
}
