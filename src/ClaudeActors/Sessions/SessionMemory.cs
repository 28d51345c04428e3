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
    public Queue<DateTimeOffset> RecentRestarts { get; } = new();
    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;
}
