using Akka.Actor;
using ClaudeActors.Client;
using ClaudeActors.Process;
using ClaudeActors.Supervision;
using ClaudeActors.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace ClaudeActors.Tests.Sessions;

/// <summary>The warm pool with the fast fake CLI: filling, taking, refilling, replacing, shrinking, and dying with its system.</summary>
public sealed class WarmPoolTests(ITestOutputHelper output) : SessionTestKit(output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private async Task<IActorRef> StartPoolAsync(ActorSystem system, SessionOptions profile, int size)
    {
        var pool = await ClaudeSessions.Get(system).Supervisor.Ask<IActorRef>(
            new SessionSupervisor.StartWarmPool([new WarmPoolProfile(profile, size)]), TimeSpan.FromSeconds(5));
        Assert.Equal($"/user/{ClaudeSessions.SupervisorName}/{WarmPool.ActorName}", pool.Path.ToStringWithoutAddress());
        return pool;
    }

    private static Task<WarmPoolState> StateAsync(IActorRef pool) => pool.Ask<WarmPoolState>(GetWarmPoolState.Instance, TimeSpan.FromSeconds(5));

    private static async Task<WarmPoolState> WaitForAsync(IActorRef pool, Func<WarmPoolState, bool> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var state = await StateAsync(pool);
            if (condition(state)) return state;
            if (DateTime.UtcNow > deadline) throw new TimeoutException("The pool never reached the state; last: " + state);
            await Task.Delay(50);
        }
    }

    /// <summary>The <c>--session-id</c> a process was started with, read from the OS.</summary>
    private static string? SessionIdOnCommandLine(int pid)
    {
        var argv = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0');
        var at = Array.IndexOf(argv, "--session-id");
        return at >= 0 && at + 1 < argv.Length ? argv[at + 1] : null;
    }

    [Fact]
    public async Task A_fresh_session_takes_a_warm_cli_under_its_pre_assigned_id_and_the_pool_refills()
    {
        var pool = await StartPoolAsync(Sys, Sandbox.FakeCliOptions(), 2);
        var full = await WaitForAsync(pool, s => s.Idle == 2);
        Assert.Equal(2, full.Spawned);
        Assert.Equal(2, full.ProcessIds.Count);

        await using var session = await StartFakeAsync(o => o with { Name = "pooled" });
        var info = await session.GetInfoAsync();
        // The session's CLI is one the pool started before the session existed, and its id is the one the pool gave it.
        Assert.Contains(info.CliProcessId!.Value, full.ProcessIds);
        Assert.Equal(SessionIdOnCommandLine(info.CliProcessId.Value), info.SessionId);
        var afterTake = await StateAsync(pool);
        Assert.Equal(1, afterTake.Taken);
        Assert.Equal(0, afterTake.Misses);

        // It works as any session: it answers and remembers.
        Assert.Equal("Nice to meet you, Gus.", await session.FinalTextAsync("My name is Gus"));
        Assert.Equal("Your name is Gus!", await session.FinalTextAsync("What is my name?"));

        // The pool is back to two idle CLIs, the taken one not among them.
        var refilled = await WaitForAsync(pool, s => s.Idle == 2);
        Assert.Equal(3, refilled.Spawned);
        Assert.DoesNotContain(info.CliProcessId.Value, refilled.ProcessIds);
    }

    [Fact]
    public async Task Resume_continue_and_a_chosen_session_id_never_take_a_warm_cli()
    {
        string firstId;
        await using (var first = await StartFakeAsync(o => o with { Name = "first" }))
        {
            Assert.Equal("Nice to meet you, Gus.", await first.FinalTextAsync("My name is Gus"));
            firstId = (await first.GetInfoAsync()).SessionId!;
        }
        var pool = await StartPoolAsync(Sys, Sandbox.FakeCliOptions(), 1);
        var full = await WaitForAsync(pool, s => s.Idle == 1);

        await using var resumed = await StartFakeAsync(o => o with { Name = "resumed", Resume = firstId });
        await using var continued = await StartFakeAsync(o => o with { Name = "continued", Continue = true });
        var chosen = SessionIds.New();
        await using var withId = await StartFakeAsync(o => o with { Name = "chosen", SessionId = chosen });

        Assert.Equal("Your name is Gus!", await resumed.FinalTextAsync("What is my name?"));
        Assert.Equal(chosen, (await withId.GetInfoAsync()).SessionId);
        var after = await StateAsync(pool);
        Assert.Equal(0, after.Taken);
        Assert.Equal(1, after.Idle);
        Assert.Equal(full.ProcessIds, after.ProcessIds);
        foreach (var s in new[] { resumed, continued, withId })
            Assert.DoesNotContain((await s.GetInfoAsync()).CliProcessId!.Value, full.ProcessIds);
    }

    [Fact]
    public async Task A_session_of_another_profile_starts_its_own_cli_and_the_miss_is_counted()
    {
        var pool = await StartPoolAsync(Sys, Sandbox.FakeCliOptions(), 1);
        var full = await WaitForAsync(pool, s => s.Idle == 1);
        await using var session = await StartFakeAsync(o => o with { Name = "other", Model = "another-model" });
        Assert.DoesNotContain((await session.GetInfoAsync()).CliProcessId!.Value, full.ProcessIds);
        var after = await StateAsync(pool);
        Assert.Equal((0L, 1L, 1), (after.Taken, after.Misses, after.Idle));
    }

    [Fact]
    public async Task An_idle_warm_cli_that_dies_is_replaced()
    {
        var pool = await StartPoolAsync(Sys, Sandbox.FakeCliOptions(), 2);
        var full = await WaitForAsync(pool, s => s.Idle == 2);
        System.Diagnostics.Process.GetProcessById(full.ProcessIds[0]).Kill();

        var replaced = await WaitForAsync(pool, s => s.Replaced == 1 && s.Idle == 2);
        Assert.Equal(3, replaced.Spawned);
        Assert.DoesNotContain(full.ProcessIds[0], replaced.ProcessIds);
        Assert.False(ProcessTable.IsAlive(full.ProcessIds[0]));
    }

    [Fact]
    public async Task A_cli_that_cannot_start_is_retried_with_backoff_and_never_handed_out()
    {
        var broken = Path.Combine(Sandbox.Root, "broken-claude");
        File.WriteAllText(broken, "#!/bin/bash\necho 'boom: not today' >&2\nexit 3\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(broken, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var pool = await StartPoolAsync(Sys, Sandbox.FakeCliOptions() with { CliPath = broken }, 1);

        var failing = await WaitForAsync(pool, s => s.Failed >= 2);
        Assert.Equal(0, failing.Idle);
        Assert.Equal(0, failing.Taken);
    }

    [Fact]
    public async Task The_governor_hook_shrinks_the_pool_and_lifting_it_refills()
    {
        var pool = await StartPoolAsync(Sys, Sandbox.FakeCliOptions(), 3);
        var full = await WaitForAsync(pool, s => s.Idle == 3);
        pool.Tell(new SetWarmPoolLimit(1));
        var shrunk = await WaitForAsync(pool, s => s.Idle == 1);
        Assert.Equal(1, shrunk.Target);
        Assert.True(await ProcessTable.WaitUntilAsync(() => full.ProcessIds.Count(ProcessTable.IsAlive) == 1, Patience));

        pool.Tell(new SetWarmPoolLimit(null));
        await WaitForAsync(pool, s => s.Idle == 3);
    }

    [Fact]
    public async Task A_prestarted_cli_is_taken_by_the_next_fresh_session_of_its_profile_and_resume_never_takes_one()
    {
        Assert.False(ClaudeSession.Prestart(Sandbox.FakeCliOptions() with { Resume = SessionIds.New() }));
        Assert.True(ClaudeSession.Prestart(Sandbox.FakeCliOptions()));
        Assert.True(await ProcessTable.WaitUntilAsync(() => Sandbox.LiveProcesses().Count == 1, Patience));
        var prestarted = Sandbox.LiveProcesses().Single();
        var preassigned = SessionIdOnCommandLine(prestarted);

        await using var session = await StartFakeAsync(o => o with { Name = "prestarted" });
        var info = await session.GetInfoAsync();
        Assert.Equal(prestarted, info.CliProcessId);
        Assert.Equal(preassigned, info.SessionId);
        Assert.Equal("Nice to meet you, Gus.", await session.FinalTextAsync("My name is Gus"));

        // Taken once: the next session starts its own.
        await using var second = await StartFakeAsync(o => o with { Name = "second" });
        Assert.NotEqual(prestarted, (await second.GetInfoAsync()).CliProcessId);
    }

    [Fact]
    public async Task Warm_clis_idle_and_taken_are_gone_from_the_process_list_once_their_system_stops()
    {
        var system = ActorSystem.Create("warm-pool-shutdown", "akka.loglevel = WARNING");
        var pool = await StartPoolAsync(system, Sandbox.FakeCliOptions(), 2);
        var full = await WaitForAsync(pool, s => s.Idle == 2);
        var session = await ClaudeSession.StartAsync(system, Sandbox.FakeCliOptions() with { Name = "taken" });
        Assert.Equal("Nice to meet you, Gus.", await session.FinalTextAsync("My name is Gus"));
        var state = await WaitForAsync(pool, s => s.Idle == 2);
        var pids = full.ProcessIds.Concat(state.ProcessIds).Distinct().ToList();
        Assert.Equal(3, pids.Count);
        Assert.All(pids, pid => Assert.True(ProcessTable.IsAlive(pid)));

        await system.Terminate();
        Assert.True(await ProcessTable.WaitUntilAsync(() => !pids.Any(ProcessTable.IsAlive), TimeSpan.FromSeconds(10)),
            "A warm CLI outlived its ActorSystem.");
        Assert.Empty(Sandbox.LiveProcesses());
    }
}

/// <summary>The warm pool with the real claude CLI against the fake Messages API.</summary>
public sealed class RealCliWarmPoolTests(ITestOutputHelper output) : SessionTestKit(output)
{
    [Fact]
    public async Task A_pooled_real_cli_answers_remembers_its_context_and_is_resumed_later()
    {
        var pool = await ClaudeSessions.Get(Sys).Supervisor.Ask<IActorRef>(
            new SessionSupervisor.StartWarmPool([new WarmPoolProfile(Sandbox.RealCliOptions(), 1)]), TimeSpan.FromSeconds(5));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        WarmPoolState full;
        while ((full = await pool.Ask<WarmPoolState>(GetWarmPoolState.Instance, TimeSpan.FromSeconds(5))).Idle < 1)
        {
            Assert.True(DateTime.UtcNow < deadline, "The pool never warmed a real CLI: " + full);
            await Task.Delay(100);
        }

        string sessionId;
        await using (var session = await StartRealAsync(o => o with { Name = "pooled" }))
        {
            var info = await session.GetInfoAsync();
            Assert.Equal(full.ProcessIds.Single(), info.CliProcessId);
            sessionId = info.SessionId!;
            Assert.Equal(1, (await pool.Ask<WarmPoolState>(GetWarmPoolState.Instance, TimeSpan.FromSeconds(5))).Taken);

            Assert.Equal("Nice to meet you, Alice.", await session.FinalTextAsync("My name is Alice"));
            Assert.Equal("Your name is Alice!", await session.FinalTextAsync("What is my name?"));
            // The CLI's own transcript is stored under the id the pool gave it.
            Assert.Equal(sessionId, await session.GetSessionIdAsync());
        }

        await using var resumed = await StartRealAsync(o => o with { Name = "resumed", Resume = sessionId });
        Assert.NotEqual(full.ProcessIds.Single(), (await resumed.GetInfoAsync()).CliProcessId);
        Assert.Equal("Your name is Alice!", await resumed.FinalTextAsync("What is my name?"));
        Assert.Equal(1, (await pool.Ask<WarmPoolState>(GetWarmPoolState.Instance, TimeSpan.FromSeconds(5))).Taken);
    }
}
