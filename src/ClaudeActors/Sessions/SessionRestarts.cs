namespace ClaudeActors.Sessions;

/// <summary>
/// Whether a session starts another CLI after losing one, and when: exponential backoff, at most
/// <see cref="RestartPolicy.MaxRestarts"/> within the policy's sliding window. The count lives in the session's
/// <see cref="SessionMemory"/>, so a restart of the actor itself is counted against the same bound.
/// </summary>
internal sealed class SessionRestarts(RestartPolicy policy, SessionMemory memory)
{
    /// <summary>The CLI is gone unasked, with <paramref name="failure"/>: restart after a backoff, or give up.</summary>
    /// <param name="failure">Why it is gone.</param>
    /// <param name="everInitialized">True when this session's current CLI answered initialize.</param>
    /// <param name="now">The time to count the restart at.</param>
    public RestartDecision AfterCliLost(SessionFailure failure, bool everInitialized, DateTimeOffset now)
    {
        // A first CLI that could not start will not start on a retry either (its path, flags or directory are wrong).
        var neverStarted = !everInitialized && memory.RestartCount == 0 && memory.RecentRestarts.Count == 0 && failure.Kind == FailureKind.CliStartFailed;
        if (neverStarted) return RestartDecision.GiveUp(failure);
        return TryCount(now) is { } backoff
            ? RestartDecision.After(backoff)
            : RestartDecision.GiveUp(failure with
            {
                Message = $"The claude CLI kept crashing ({policy.MaxRestarts} restarts within {policy.Window}); giving up. Last: {failure.Message}",
            });
    }

    /// <summary>The session actor itself threw and was restarted: carry on after a backoff, or give up.</summary>
    public RestartDecision AfterActorCrash(DateTimeOffset now) => TryCount(now) is { } backoff
        ? RestartDecision.After(backoff)
        : RestartDecision.GiveUp(new SessionFailure(FailureKind.SessionCrashed, "The session kept failing; giving up."));

    // Counts a restart at `now` if the window has room (dropping what has slid out of it) and says how long to wait.
    private TimeSpan? TryCount(DateTimeOffset now)
    {
        var recent = memory.RecentRestarts;
        while (recent.Count > 0 && now - recent.Peek() > policy.Window) recent.Dequeue();
        if (recent.Count >= policy.MaxRestarts) return null;
        recent.Enqueue(now);
        memory.RestartCount++;
        return policy.Backoff(recent.Count - 1);
    }
}

/// <summary>Restart after <see cref="Backoff"/>, or give up with <see cref="Final"/>.</summary>
internal readonly record struct RestartDecision(TimeSpan Backoff, SessionFailure? Final)
{
    public static RestartDecision After(TimeSpan backoff) => new(backoff, null);

    public static RestartDecision GiveUp(SessionFailure final) => new(TimeSpan.Zero, final);
}
