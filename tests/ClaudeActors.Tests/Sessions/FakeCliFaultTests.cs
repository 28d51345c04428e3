using Akka.Actor;
using ClaudeActors.Client;
using ClaudeActors.Protocol;
using ClaudeActors.Sessions;
using ClaudeActors.Supervision;
using ClaudeActors.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace ClaudeActors.Tests.Sessions;

/// <summary>Faults that the real CLI cannot be made to produce on demand, driven with the fast fake CLI.</summary>
public sealed class FakeCliFaultTests(ITestOutputHelper output) : SessionTestKit(output)
{
    private static readonly RestartPolicy FastRestarts = new()
    {
        MinBackoff = TimeSpan.FromMilliseconds(20),
        MaxBackoff = TimeSpan.FromMilliseconds(200),
        MaxRestarts = 3,
        Window = TimeSpan.FromMinutes(1),
    };

    [Fact]
    public async Task Garbage_and_unknown_lines_on_stdout_are_skipped_or_surfaced_never_fatal()
    {
        await using var session = await StartFakeAsync();
        Assert.Equal("fine", await session.FinalTextAsync("[garbage] Say exactly: fine"));

        var messages = new List<ClaudeMessage>();
        await foreach (var m in session.StreamAsync("[unknown] Say exactly: still fine")) messages.Add(m);
        Assert.Contains(messages, m => m is UnknownMessage { Type: "future_thing" });
        Assert.Equal("still fine", Assert.IsType<ResultMessage>(messages[^1]).Result);
        Assert.Equal(0, (await session.GetInfoAsync()).RestartCount);
    }

    [Fact]
    public async Task An_oversized_line_is_dropped_and_the_turn_still_ends()
    {
        await using var session = await StartFakeAsync();
        // The assistant line and the result both exceed nothing here: 1 MB fits the default 32 MB limit.
        var result = await session.QueryAsync("[bigline:1000000] big");
        Assert.Equal(1_000_000, result.Result!.Length);
    }

    [Fact]
    public async Task Repeated_crashes_are_restarted_with_backoff_until_the_bound_then_the_session_fails_and_is_reported()
    {
        Sys.EventStream.Subscribe(TestActor, typeof(SessionStatusChanged));
        await using var session = await StartFakeAsync(o => o with { Restart = FastRestarts });
        Assert.Equal("Nice to meet you, Gus.", await session.FinalTextAsync("My name is Gus"));

        for (var i = 1; i <= FastRestarts.MaxRestarts; i++)
        {
            await Assert.ThrowsAsync<CliCrashedException>(() => session.FinalTextAsync("[crash] die"));
            await session.WaitUntilReadyAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(i, (await session.GetInfoAsync()).RestartCount);
        }
        // Context survives every restart (the fake CLI resumes from its transcript).
        Assert.Equal("Your name is Gus!", await session.FinalTextAsync("What is my name?"));

        await Assert.ThrowsAsync<CliCrashedException>(() => session.FinalTextAsync("[crash] once more"));
        FishForMessage<SessionStatusChanged>(s => s.Status == SessionStatus.Failed && s.Failure?.Kind == FailureKind.CliCrashed, TimeSpan.FromSeconds(10));
        await AwaitConditionAsync(async () => (await ClaudeSessions.Get(Sys).Supervisor.Ask<SessionLookup>(new GetSession(session.Name))).Session is null, TimeSpan.FromSeconds(10));
        Assert.Empty(Sandbox.LiveProcesses());
    }

    [Fact]
    public async Task A_cli_that_always_dies_at_start_after_a_crash_is_retried_within_the_bound_then_the_session_stops()
    {
        // The first launch is a working CLI; every later launch dies at once, like a broken install after an upgrade.
        var counter = Path.Combine(Sandbox.Root, "launches");
        var script = Path.Combine(Sandbox.Root, "flaky-claude");
        File.WriteAllText(script, $$"""
            #!/bin/bash
            n=$(cat '{{counter}}' 2>/dev/null || echo 0)
            echo $((n+1)) > '{{counter}}'
            if [ "$n" -gt 0 ]; then echo "boom: launch $n refused" >&2; exit 1; fi
            exec '{{TestPaths.FakeCli}}' "$@"
            """);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Sys.EventStream.Subscribe(TestActor, typeof(SessionStatusChanged));

        await using var session = await StartFakeAsync(o => o with { CliPath = script, Restart = FastRestarts });
        await Assert.ThrowsAsync<CliCrashedException>(() => session.FinalTextAsync("[crash] die"));

        var failed = FishForMessage<SessionStatusChanged>(s => s.Name == session.Name && s.Status == SessionStatus.Failed, TimeSpan.FromSeconds(20));
        Assert.Contains("kept crashing", failed.Failure!.Message);
        Assert.Equal(1 + FastRestarts.MaxRestarts, int.Parse(File.ReadAllText(counter).Trim()));
        await AwaitConditionAsync(async () => (await ClaudeSessions.Get(Sys).Supervisor.Ask<SessionLookup>(new GetSession(session.Name))).Session is null, TimeSpan.FromSeconds(10));
        await Assert.ThrowsAnyAsync<ClaudeSessionException>(() => session.FinalTextAsync("anyone there?"));
    }

    [Fact]
    public async Task A_cli_that_dies_at_start_is_a_start_failure_with_exit_code_and_stderr()
    {
        var ex = await Assert.ThrowsAsync<CliStartFailedException>(() => StartFakeAsync(o => o with
        {
            Environment = new Dictionary<string, string>(o.Environment) { ["FAKE_CLAUDE_EXIT_ON_START"] = "7" },
        }));
        Assert.Equal(7, ex.Failure.ExitCode);
        Assert.False(string.IsNullOrWhiteSpace(ex.Failure.StderrTail));
    }

    [Fact]
    public async Task A_missing_working_directory_is_rejected_before_any_process_starts()
    {
        var ex = await Assert.ThrowsAsync<InvalidSessionOptionsException>(() =>
            StartFakeAsync(o => o with { WorkingDirectory = Path.Combine(Sandbox.Root, "missing") }));
        Assert.Contains("WorkingDirectory", Assert.Single(ex.Errors));
        Assert.Contains("does not exist", ex.Message);
        Assert.Empty(Sandbox.LiveProcesses());
        // Through the supervisor too (the path of declared sessions and of StartSession messages): the same option error.
        var reply = await ClaudeSessions.Get(Sys).Supervisor.Ask<object>(
            new StartSession(Sandbox.FakeCliOptions("nowhere") with { WorkingDirectory = Path.Combine(Sandbox.Root, "missing") }), TimeSpan.FromSeconds(10));
        Assert.Equal(FailureKind.InvalidRequest, Assert.IsType<SessionStartRejected>(reply).Failure.Kind);
    }

    [Fact]
    public async Task Invalid_prompts_and_duplicate_query_ids_get_typed_errors_and_lose_nothing()
    {
        await using var session = await StartFakeAsync();
        await Assert.ThrowsAsync<InvalidSessionRequestException>(() => session.FinalTextAsync("   "));
        var probe = CreateTestProbe();
        session.Actor.Tell(new Query("[slow:50] Say exactly: one") { QueryId = "dup" }, probe.Ref);
        session.Actor.Tell(new Query("Say exactly: two") { QueryId = "dup" }, probe.Ref);
        var rejected = probe.FishForMessage<QueryFailed>(_ => true, TimeSpan.FromSeconds(10));
        Assert.Equal(FailureKind.InvalidRequest, rejected.Failure.Kind);
        var done = probe.FishForMessage<QueryCompleted>(_ => true, TimeSpan.FromSeconds(10));
        Assert.Equal("one", done.Result.Result);

        var prompt = "quotes \" and \\ backslashes\nnew lines\0 and NUL";
        Assert.Equal("Echo: " + prompt, await session.FinalTextAsync(prompt));
    }

    [Fact]
    public async Task A_slow_consumer_holds_the_stream_without_losing_messages()
    {
        await using var session = await StartFakeAsync(o => o with { IncludePartialMessages = true });
        var count = 0;
        await foreach (var m in session.StreamAsync("[flood:3000] go"))
        {
            if (++count % 500 == 0) await Task.Delay(100); // the consumer lags; the session must wait for it
        }
        Assert.True(count >= 3000, $"only {count} messages arrived");
        Assert.Equal("ok", await session.FinalTextAsync("Say exactly: ok"));
    }
}
