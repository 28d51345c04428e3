using ClaudeActors.Sessions;
using Xunit;

namespace ClaudeActors.Tests.Sessions;

/// <summary>When a session starts another CLI, and when it gives up: the policy on a clock the test holds.</summary>
public sealed class SessionRestartsTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly SessionFailure Crash = new(FailureKind.CliCrashed, "The claude CLI process exited unexpectedly.") { ExitCode = 1 };

    private static readonly RestartPolicy Policy = new()
    {
        MinBackoff = TimeSpan.FromMilliseconds(100),
        MaxBackoff = TimeSpan.FromMilliseconds(500),
        MaxRestarts = 3,
        Window = TimeSpan.FromMinutes(1),
        RandomFactor = 0,
    };

    [Fact]
    public void Restarts_back_off_exponentially_up_to_the_cap_and_stop_when_the_window_is_full()
    {
        var memory = new SessionMemory(new SessionOptions());
        var restarts = new SessionRestarts(Policy, memory);
        Assert.Equal(TimeSpan.FromMilliseconds(100), restarts.AfterCliLost(Crash, everInitialized: true, T0).Backoff);
        Assert.Equal(TimeSpan.FromMilliseconds(200), restarts.AfterCliLost(Crash, everInitialized: true, T0.AddSeconds(1)).Backoff);
        Assert.Equal(TimeSpan.FromMilliseconds(400), restarts.AfterCliLost(Crash, everInitialized: true, T0.AddSeconds(2)).Backoff);
        Assert.Equal(3, memory.RestartCount);

        var gaveUp = restarts.AfterCliLost(Crash, everInitialized: true, T0.AddSeconds(3));
        Assert.Equal(FailureKind.CliCrashed, gaveUp.Final!.Kind);
        Assert.Equal(1, gaveUp.Final.ExitCode);
        Assert.Equal("The claude CLI kept crashing (3 restarts within 00:01:00); giving up. Last: The claude CLI process exited unexpectedly.", gaveUp.Final.Message);
        Assert.Equal(3, memory.RestartCount); // a refused restart is not counted
    }

    [Fact]
    public void Restarts_that_slid_out_of_the_window_no_longer_count()
    {
        var memory = new SessionMemory(new SessionOptions());
        var restarts = new SessionRestarts(Policy with { MaxBackoff = TimeSpan.FromSeconds(10) }, memory);
        for (var i = 0; i < 3; i++) Assert.Null(restarts.AfterCliLost(Crash, true, T0.AddSeconds(i)).Final);
        Assert.NotNull(restarts.AfterCliLost(Crash, true, T0.AddSeconds(59)).Final);

        // The first restart is now over a minute old: one more is allowed, backed off as the third in the window.
        var later = restarts.AfterCliLost(Crash, true, T0.AddSeconds(60.5));
        Assert.Null(later.Final);
        Assert.Equal(TimeSpan.FromMilliseconds(400), later.Backoff);
        Assert.Equal(4, memory.RestartCount);
    }

    [Fact]
    public void A_first_CLI_that_could_not_start_is_final_a_later_one_is_retried()
    {
        var startFailed = new SessionFailure(FailureKind.CliStartFailed, "The claude CLI exited during start-up.");
        var memory = new SessionMemory(new SessionOptions());
        var restarts = new SessionRestarts(Policy, memory);
        Assert.Same(startFailed, restarts.AfterCliLost(startFailed, everInitialized: false, T0).Final);
        Assert.Equal(0, memory.RestartCount);

        // Once a restart happened (or the CLI answered initialize), a start failure is worth another try.
        Assert.Null(restarts.AfterCliLost(Crash, everInitialized: false, T0).Final);
        Assert.Null(restarts.AfterCliLost(startFailed, everInitialized: false, T0).Final);
        Assert.Null(new SessionRestarts(Policy, new SessionMemory(new SessionOptions())).AfterCliLost(startFailed, everInitialized: true, T0).Final);
    }

    [Fact]
    public void A_crashing_actor_counts_against_the_same_bound_as_its_CLI()
    {
        var memory = new SessionMemory(new SessionOptions());
        var restarts = new SessionRestarts(Policy, memory);
        Assert.Null(restarts.AfterCliLost(Crash, true, T0).Final);
        Assert.Null(restarts.AfterActorCrash(T0).Final);
        Assert.Null(restarts.AfterActorCrash(T0).Final);
        var gaveUp = restarts.AfterActorCrash(T0).Final!;
        Assert.Equal(FailureKind.SessionCrashed, gaveUp.Kind);
        Assert.Equal("The session kept failing; giving up.", gaveUp.Message);
    }
}

/// <summary>What a session remembers across restarts of its actor.</summary>
public sealed class SessionMemoryTests
{
    [Fact]
    public void A_fresh_conversation_gets_its_id_from_the_host_before_the_first_turn()
    {
        var memory = new SessionMemory(new SessionOptions());
        memory.Begin(new SessionOptions());
        Assert.True(memory.Started);
        Assert.True(SessionIds.IsValid(memory.SessionId!));
        Assert.Equal(memory.SessionId, memory.Effective.SessionId);
        Assert.False(memory.ConversationPersisted);

        var chosen = SessionIds.New();
        var given = new SessionMemory(new SessionOptions());
        given.Begin(new SessionOptions { SessionId = chosen });
        Assert.Equal(chosen, given.SessionId);
    }

    [Fact]
    public void Resuming_keeps_the_id_a_fork_gets_a_new_one_up_front_continue_learns_it_with_the_first_turn()
    {
        var id = SessionIds.New();
        var resumed = new SessionMemory(new SessionOptions());
        resumed.Begin(new SessionOptions { Resume = id });
        Assert.Equal(id, resumed.SessionId);
        Assert.True(resumed.ConversationPersisted);

        var forked = new SessionMemory(new SessionOptions());
        forked.Begin(new SessionOptions { Resume = id, ForkSession = true });
        Assert.True(SessionIds.IsValid(forked.SessionId));
        Assert.NotEqual(id, forked.SessionId);
        Assert.Equal(forked.SessionId, forked.Effective.SessionId); // passed as --session-id with --fork-session
        Assert.False(forked.ConversationPersisted);

        var continued = new SessionMemory(new SessionOptions());
        continued.Begin(new SessionOptions { Continue = true });
        Assert.Null(continued.SessionId);
    }

    [Fact]
    public void A_replacement_CLI_resumes_only_a_conversation_that_has_a_transcript()
    {
        var memory = new SessionMemory(new SessionOptions());
        memory.Begin(new SessionOptions());
        Assert.Null(memory.ResumeId); // no turn yet: the transcript --resume would load does not exist
        memory.ConversationPersisted = true;
        Assert.Equal(memory.SessionId, memory.ResumeId);

        var unpersisted = new SessionMemory(new SessionOptions { NoSessionPersistence = true });
        unpersisted.Begin(new SessionOptions { NoSessionPersistence = true });
        unpersisted.ConversationPersisted = true;
        Assert.Null(unpersisted.ResumeId);
    }

    [Fact]
    public void Clearing_starts_a_new_conversation_with_nothing_to_resume()
    {
        var id = SessionIds.New();
        var options = new SessionOptions { Resume = id, ForkSession = true, Model = "opus" };
        var memory = new SessionMemory(options);
        memory.Begin(options);
        memory.ConversationPersisted = true;
        memory.Clear();
        Assert.NotEqual(id, memory.SessionId);
        Assert.False(memory.ConversationPersisted);
        Assert.Equal(memory.SessionId, memory.Effective.SessionId);
        Assert.Equal("opus", memory.Effective.Model);
        Assert.Null(memory.Effective.Resume);
        Assert.False(memory.Effective.ForkSession);
    }

    [Fact]
    public void A_session_known_without_its_actor_has_no_process_queue_or_restarts()
    {
        var failure = new SessionFailure(FailureKind.SessionStopped, "gone");
        var stopped = SessionInfos.Stopped("s", "id-1", "opus", failure);
        Assert.Equal(new SessionInfo("s", "id-1", SessionStatus.Stopped, "opus", default, 0, 0, null, failure), stopped);
        var listed = SessionInfos.Remembered("s", SessionStatus.Ready, "id-1", startedAt: DateTimeOffset.UnixEpoch);
        Assert.Equal(new SessionInfo("s", "id-1", SessionStatus.Ready, null, DateTimeOffset.UnixEpoch, 0, 0, null, null), listed);
    }
}
