using ClaudeActors.Testing;
using System.Diagnostics;
using Akka.Actor;
using ClaudeActors.Client;
using ClaudeActors.Process;
using ClaudeActors.Supervision;

namespace ClaudeActors.Benchmarks;

/// <summary>
/// Density under a memory budget, with the fake CLI's memory knob: sessions take turns that each make their CLI keep
/// <c>GrowMiB</c> more (<c>[grow:N]</c>), under a per-CLI limit (recycled between turns) and a node budget (idle sessions
/// passivated, starts waiting). Every turn asks the session's name back, so a lost context is counted, not assumed. A
/// sampler outside the host measures every CLI's PSS from /proc: the peak of their sum against the budget, and the
/// largest single CLI against its limit and hard ceiling.
/// </summary>
internal static class DensityBenchmark
{
    /// <param name="RealCli">The real CLI against the fake Messages API, no growth directive and no per-CLI limit: how many
    /// sessions a budget holds, each answering from its context, with the least recently used passivated and resumed.</param>
    internal sealed record Settings(int Sessions = 8, int Turns = 1000, int GrowMiB = 4, int LimitMiB = 96, int BudgetMiB = 400, bool RealCli = false);

    public static async Task<IReadOnlyList<Row>> RunAsync(Settings settings, CancellationToken ct)
    {
        var load = Load.Now();
        Console.WriteLine(settings.RealCli
            ? $"density: {settings.Sessions} sessions, {settings.Turns} turns, budget {settings.BudgetMiB} MiB (real CLI, fake Messages API)"
            : $"density: {settings.Sessions} sessions, {settings.Turns} turns of [grow:{settings.GrowMiB}], " +
              $"limit {settings.LimitMiB} MiB per CLI, budget {settings.BudgetMiB} MiB (fake CLI)");
        await using var api = settings.RealCli ? await FakeMessagesApi.StartAsync(ct) : null;
        await using var sandbox = new BenchSandbox(api?.BaseUrl ?? new Uri("http://127.0.0.1:9/"));
        var system = ActorSystem.Create("density", "akka.loglevel = WARNING\nakka.stdout-loglevel = WARNING");
        var budget = (long)settings.BudgetMiB << 20;
        var limit = new ByteSize((long)settings.LimitMiB << 20);
        var supervisor = ClaudeSessions.Get(system).Supervisor;
        supervisor.Tell(new ConfigureBudget(new ClaudeSessionsOptions
        {
            MemoryBudget = new ByteSize(budget),
            StartWaitTimeout = TimeSpan.FromSeconds(60),
            MaxWaitingStarts = settings.Sessions,
            CliMemoryEstimate = new ByteSize(settings.RealCli ? 200L << 20 : 40L << 20),
            MemorySampleInterval = TimeSpan.FromMilliseconds(500),
        }));

        long peakSum = 0, peakCli = 0;
        using var sampling = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                long sum = 0;
                foreach (var pid in sandbox.LiveProcesses())
                {
                    if (ProcessMemory.Pss(pid) is not { } pss) continue;
                    sum += pss;
                    peakCli = Math.Max(peakCli, pss);
                }
                peakSum = Math.Max(peakSum, sum);
                try
                {
                    await Task.Delay(100, sampling.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }, CancellationToken.None);

        var lost = 0;
        var atCapacity = 0;
        var failed = 0;
        var turnsDone = 0;
        var sessions = new List<ClaudeSession>();
        var clock = Stopwatch.StartNew();
        try
        {
            var options = settings.RealCli
                ? sandbox.SessionOptions() with { CliPath = BenchPaths.RealCli, Timeout = TimeSpan.FromMinutes(3) }
                : sandbox.SessionOptions() with { CliPath = BenchPaths.FakeCli, CliMemoryLimit = limit };
            var grow = settings.RealCli ? "" : $"[grow:{settings.GrowMiB}]";
            // Started one at a time: each takes its room in the budget (or an idle one's).
            for (var i = 0; i < settings.Sessions; i++)
            {
                var session = await ClaudeSession.StartAsync(system, options with { Name = "dense-" + i }, ct);
                await session.FinalTextAsync($"My name is User{i}", cancellationToken: ct);
                sessions.Add(session);
            }
            var perSession = settings.Turns / settings.Sessions;
            await Task.WhenAll(sessions.Select((session, i) => Task.Run(async () =>
            {
                for (var t = 0; t < perSession; t++)
                {
                    try
                    {
                        var answer = await session.FinalTextAsync($"{grow}What is my name?", cancellationToken: ct);
                        if (answer != $"Your name is User{i}!") Interlocked.Increment(ref lost);
                    }
                    catch (NodeAtCapacityException)
                    {
                        Interlocked.Increment(ref atCapacity);
                    }
                    catch (ClaudeSessionException)
                    {
                        Interlocked.Increment(ref failed);
                    }
                    Interlocked.Increment(ref turnsDone);
                }
            }, ct)));
            var wall = clock.Elapsed;
            var recycles = 0;
            foreach (var session in sessions) recycles += (await session.GetInfoAsync(ct)).RecycleCount;
            var status = await supervisor.Ask<CliBudgetActor.Status>(CliBudgetActor.GetStatus.Instance, TimeSpan.FromSeconds(5), ct);
            var over = (peakSum - budget) * 100.0 / budget;
            Console.WriteLine($"  {turnsDone} turns in {wall.TotalSeconds:F1} s; {recycles} recycles; lost context {lost}; at capacity {atCapacity}; " +
                              $"other failures {failed}; peak summed PSS {new ByteSize(peakSum)} vs budget {new ByteSize(budget)} ({over:+0.0;-0.0}%); " +
                              $"largest CLI {new ByteSize(peakCli)} vs limit {limit} (hard {new ByteSize(limit.Bytes * 3 / 2)}); live at the end {status.Live}");
            var after = $"{load} -> {Load.Now()}";
            return
            [
                new Row(settings.RealCli ? $"density (real CLI): {turnsDone} turns, {settings.Sessions} sessions, live at the end {status.Live}" : $"density: {turnsDone} turns with [grow:{settings.GrowMiB}], {settings.Sessions} sessions",
                    $"lost context {lost}, failed {failed + atCapacity} ({atCapacity} at capacity), {recycles} recycles, {wall.TotalSeconds:F0} s", after),
                new Row("density: peak summed CLI PSS vs budget", $"{new ByteSize(peakSum)} vs {new ByteSize(budget)} ({over:+0.0;-0.0}%)", after),
                settings.RealCli ? new Row("density (real CLI): largest CLI PSS", new ByteSize(peakCli).ToString(), after) : new Row("density: largest CLI PSS vs its limit", $"{new ByteSize(peakCli)} vs {limit} ({(peakCli <= limit.Bytes ? "under" : peakCli <= limit.Bytes * 3 / 2 ? "over, under the hard ceiling" : "over the hard ceiling")})", after),
            ];
        }
        finally
        {
            await sampling.CancelAsync();
            await sampler;
            foreach (var session in sessions) await session.DisposeAsync();
            await system.Terminate().WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
        }
    }
}
