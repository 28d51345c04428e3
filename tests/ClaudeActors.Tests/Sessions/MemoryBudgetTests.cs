using Akka.Actor;
using ClaudeActors.Client;
using ClaudeActors.Process;
using ClaudeActors.Supervision;
using ClaudeActors.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace ClaudeActors.Tests.Sessions;

/// <summary>
/// The node memory budget and the per-CLI ceiling in local mode, with the fake CLI's memory knob (<c>[grow:N]</c>): sizes
/// are chosen from what the fake CLI measures on this machine, so the tests do not depend on its base footprint.
/// </summary>
public sealed class MemoryBudgetTests(ITestOutputHelper output) : SessionTestKit(output)
{
    private const long MiB = 1L << 20;

    private IActorRef Supervisor => ClaudeSessions.Get(Sys).Supervisor;

    private void Configure(long? budget, int maxWaiting = 8, TimeSpan? wait = null, long? estimate = null) =>
        Supervisor.Tell(new ConfigureBudget(new ClaudeSessionsOptions
        {
            MemoryBudget = budget is { } b ? new ByteSize(b) : null,
            MaxWaitingStarts = maxWaiting,
            StartWaitTimeout = wait ?? TimeSpan.FromSeconds(10),
            CliMemoryEstimate = new ByteSize(estimate ?? 40 * MiB),
            MemorySampleInterval = TimeSpan.FromMilliseconds(200),
        }));

    private Task<CliBudgetActor.Status> BudgetAsync() => Supervisor.Ask<CliBudgetActor.Status>(CliBudgetActor.GetStatus.Instance, TimeSpan.FromSeconds(5));

    private static async Task<SessionInfo> MeasuredAsync(ClaudeSession session, Func<SessionInfo, bool>? until = null)
    {
        SessionInfo info = null!;
        var measured = await ProcessTable.WaitUntilAsync(() =>
        {
            info = session.GetInfoAsync().GetAwaiter().GetResult();
            return info.CliMemory is not null && (until?.Invoke(info) ?? true);
        }, TimeSpan.FromSeconds(20));
        Assert.True(measured, $"session {session.Name} was never measured as expected: {info}");
        return info;
    }

    /// <summary>The PSS of one fake CLI after a <c>[grow:N]</c> turn, measured in a throwaway session.</summary>
    private async Task<long> FakeCliPssAsync(int growMiB)
    {
        await using var probe = await StartFakeAsync(o => o with { Name = "probe" });
        if (growMiB > 0) await probe.FinalTextAsync($"[grow:{growMiB}]Say exactly: probe");
        return (await MeasuredAsync(probe, i => i.CliMemory!.Value.Bytes > growMiB * MiB * 4 / 5)).CliMemory!.Value.Bytes;
    }

    private async Task<int> LiveClisAsync() => (await BudgetAsync()).Live;

    [Fact]
    public async Task A_start_over_the_budget_passivates_the_least_recently_used_idle_session_and_every_session_keeps_its_context()
    {
        if (!OperatingSystem.IsLinux()) return;
        var one = await FakeCliPssAsync(60);
        await ProcessTable.WaitUntilAsync(() => Sandbox.LiveProcesses().Count == 0, TimeSpan.FromSeconds(10));
        Configure(budget: one * 5 / 2, estimate: one); // room for two such CLIs, not three

        var ann = await StartFakeAsync(o => o with { Name = "ann" });
        Assert.Equal("Nice to meet you, Ann.", await ann.FinalTextAsync("[grow:60]My name is Ann"));
        var annPid = (await MeasuredAsync(ann, i => i.CliMemory!.Value.Bytes > 50 * MiB)).CliProcessId!.Value;
        var bob = await StartFakeAsync(o => o with { Name = "bob" });
        Assert.Equal("Nice to meet you, Bob.", await bob.FinalTextAsync("[grow:60]My name is Bob"));
        await MeasuredAsync(bob, i => i.CliMemory!.Value.Bytes > 50 * MiB);

        var cid = await StartFakeAsync(o => o with { Name = "cid" });
        Assert.Equal("Nice to meet you, Cid.", await cid.FinalTextAsync("[grow:60]My name is Cid"));
        // Ann was the least recently used idle session: her CLI was given up before Cid's started.
        Assert.Equal(SessionStatus.Passivated, (await ann.GetInfoAsync()).Status);
        Assert.True(await ProcessTable.WaitUntilAsync(() => !ProcessTable.IsAlive(annPid), TimeSpan.FromSeconds(10)), "Ann's CLI outlived its release");
        Assert.True(await LiveClisAsync() <= 2);
        Assert.True(Sandbox.LiveProcesses().Count <= 2, $"{Sandbox.LiveProcesses().Count} CLIs run");

        // Each comes back from its context, passivating the least recently used one to make room.
        Assert.Equal("Your name is Ann!", await ann.FinalTextAsync("What is my name?"));
        Assert.Equal("Your name is Bob!", await bob.FinalTextAsync("What is my name?"));
        Assert.Equal("Your name is Cid!", await cid.FinalTextAsync("What is my name?"));
        // (A resumed CLI has not grown again: it is smaller, so the three may fit now.) Never over the budget, and every
        // CLI that runs is one the budget counts.
        var status = await BudgetAsync();
        Assert.True(status.Used <= status.Budget, $"used {new ByteSize(status.Used)} of {new ByteSize(status.Budget!.Value)}");
        Assert.True(await ProcessTable.WaitUntilAsync(() => Sandbox.LiveProcesses().Count == status.Live, TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task With_none_idle_a_start_waits_in_order_and_fails_typed_when_the_wait_is_full_or_over()
    {
        if (!OperatingSystem.IsLinux()) return;
        var one = await FakeCliPssAsync(0);
        await ProcessTable.WaitUntilAsync(() => Sandbox.LiveProcesses().Count == 0, TimeSpan.FromSeconds(10));
        Configure(budget: one * 3 / 2, maxWaiting: 1, wait: TimeSpan.FromSeconds(2), estimate: one); // one CLI

        var busy = await StartFakeAsync(o => o with { Name = "busy" });
        await busy.FinalTextAsync("My name is Dee");
        await MeasuredAsync(busy);
        var longTurn = busy.FinalTextAsync("[slow:600]Say exactly: done"); // ~6 s busy: it cannot be asked to go

        var waiting = StartFakeAsync(o => o with { Name = "waiting" });
        Assert.True(await ProcessTable.WaitUntilAsync(() => BudgetAsync().GetAwaiter().GetResult().Waiting == 1, TimeSpan.FromSeconds(10)));
        // The wait holds one start: the next one is refused at once.
        var full = await Assert.ThrowsAsync<NodeAtCapacityException>(() => StartFakeAsync(o => o with { Name = "full" }));
        Assert.Contains("waiting already", full.Message);
        // The waiting one is refused when its wait is over, typed, long before any ask timeout.
        var late = await Assert.ThrowsAsync<NodeAtCapacityException>(() => waiting);
        Assert.Equal(FailureKind.NodeAtCapacity, late.Failure.Kind);
        Assert.Equal("done", await longTurn);

        // Once the busy session is idle again, a waiting start takes its room (it is passivated) and goes first.
        Configure(budget: one * 3 / 2, maxWaiting: 1, wait: TimeSpan.FromSeconds(20), estimate: one);
        var slow = busy.FinalTextAsync("[slow:200]Say exactly: again");
        Assert.True(await ProcessTable.WaitUntilAsync(() => busy.GetInfoAsync().GetAwaiter().GetResult().Status == SessionStatus.Busy, TimeSpan.FromSeconds(10)));
        var next = await StartFakeAsync(o => o with { Name = "next" });
        Assert.Equal("again", await slow);
        Assert.Equal(SessionStatus.Passivated, (await busy.GetInfoAsync()).Status);
        Assert.Equal("Your name is Dee!", await busy.FinalTextAsync("What is my name?"));
        Assert.Equal("Echo: hi", await next.FinalTextAsync("hi"));
        Assert.True(await ProcessTable.WaitUntilAsync(() => Sandbox.LiveProcesses().Count <= 1, TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_cli_over_its_limit_is_replaced_between_turns_and_the_conversation_goes_on()
    {
        if (!OperatingSystem.IsLinux()) return;
        var baseline = await FakeCliPssAsync(0);
        Configure(budget: null);
        var limit = new ByteSize(baseline + 100 * MiB);
        await using var session = await StartFakeAsync(o => o with { CliMemoryLimit = limit });
        Assert.Equal("Nice to meet you, Eve.", await session.FinalTextAsync("[grow:60]My name is Eve"));
        var first = await MeasuredAsync(session);
        Assert.Equal(0, first.RecycleCount);
        // Over the limit after this turn (well under the hard ceiling): the turn itself completes.
        Assert.Equal("grown", await session.FinalTextAsync("[grow:60]Say exactly: grown"));
        // The next turn runs on a new CLI that resumed the conversation.
        Assert.Equal("Your name is Eve!", await session.FinalTextAsync("What is my name?"));
        var after = await session.GetInfoAsync();
        Assert.Equal(1, after.RecycleCount);
        Assert.Equal(limit, after.CliMemoryLimit);
        Assert.NotEqual(first.CliProcessId, after.CliProcessId);
        Assert.False(ProcessTable.IsAlive(first.CliProcessId!.Value));
        Assert.True((await MeasuredAsync(session)).CliMemory!.Value < limit);
    }

    [Fact]
    public async Task A_turn_over_the_hard_ceiling_fails_typed_and_the_session_resumes_with_its_context()
    {
        if (!OperatingSystem.IsLinux()) return;
        var baseline = await FakeCliPssAsync(0);
        Configure(budget: null);
        var limit = new ByteSize(baseline + 40 * MiB); // hard ceiling: 1.5x
        await using var session = await StartFakeAsync(o => o with { CliMemoryLimit = limit });
        Assert.Equal("Nice to meet you, Fay.", await session.FinalTextAsync("My name is Fay"));
        var before = await MeasuredAsync(session);

        // It grows far past 1.5x at once, then streams for seconds: measured mid-turn, the turn is ended.
        var ex = await Assert.ThrowsAsync<MemoryLimitExceededException>(() => session.FinalTextAsync("[grow:200][slow:500]Say exactly: never"));
        Assert.Contains("hard ceiling", ex.Message);
        Assert.Equal("Your name is Fay!", await session.FinalTextAsync("What is my name?"));
        var after = await session.GetInfoAsync();
        Assert.Equal(1, after.RecycleCount);
        Assert.NotEqual(before.CliProcessId, after.CliProcessId);
        Assert.True(await ProcessTable.WaitUntilAsync(() => !ProcessTable.IsAlive(before.CliProcessId!.Value), TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Real_cli_a_third_session_over_the_budget_passivates_the_least_recently_used_one_and_all_answer_from_context()
    {
        if (!OperatingSystem.IsLinux()) return;
        // A real CLI measures ~130-200 MiB (PSS splits the binary's pages between CLIs): the budget is set from what the
        // first two measure, to hold two and not three.
        Configure(budget: 2048 * MiB, estimate: 200 * MiB);
        var names = new[] { "Ann", "Bob", "Cid" };
        var sessions = new List<ClaudeSession>();
        foreach (var name in names.Take(2))
        {
            var session = await StartRealAsync(o => o with { Name = name.ToLowerInvariant() });
            Assert.Contains(name, await session.FinalTextAsync($"My name is {name}"));
            sessions.Add(session);
        }
        long two = 0;
        foreach (var session in sessions) two += (await MeasuredAsync(session, i => i.CliMemory!.Value.Bytes > 50 * MiB)).CliMemory!.Value.Bytes;
        Configure(budget: two * 5 / 4, estimate: 200 * MiB);
        Output?.WriteLine($"two real CLIs: {new ByteSize(two)}; budget {new ByteSize(two * 5 / 4)}");
        var annPid = (await sessions[0].GetInfoAsync()).CliProcessId!.Value;

        var cid = await StartRealAsync(o => o with { Name = "cid" });
        sessions.Add(cid);
        Assert.Contains("Cid", await cid.FinalTextAsync("My name is Cid"));
        // Ann's CLI (the least recently used, idle) was given up instead of starting a third over the budget.
        Assert.Equal(SessionStatus.Passivated, (await sessions[0].GetInfoAsync()).Status);
        Assert.True(await ProcessTable.WaitUntilAsync(() => !ProcessTable.IsAlive(annPid), TimeSpan.FromSeconds(10)), "Ann's CLI outlived its release");

        for (var i = 0; i < names.Length; i++)
        {
            Assert.Equal($"Your name is {names[i]}!", await sessions[i].FinalTextAsync("What is my name?"));
            var status = await BudgetAsync();
            Assert.True(status.Live <= 2 && status.Used <= status.Budget, $"{status.Live} live CLIs using {new ByteSize(status.Used)}");
        }
        var running = new List<int>();
        foreach (var session in sessions)
            if ((await session.GetInfoAsync()).CliProcessId is { } pid && ProcessTable.IsAlive(pid)) running.Add(pid);
        Assert.True(running.Count <= 2, $"{running.Count} CLIs run");
        foreach (var session in sessions) await session.DisposeAsync();
    }
}
