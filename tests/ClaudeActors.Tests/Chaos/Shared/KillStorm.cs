using System.Collections.Concurrent;
using System.Diagnostics;
using SysProcess = System.Diagnostics.Process;
using Akka.Actor;
using ClaudeActors.Client;
using ClaudeActors.Sessions;
using ClaudeActors.Supervision;

namespace ClaudeActors.Tests.Chaos;

public sealed record KillStormSettings
{
    public int Sessions { get; init; } = 20;
    public int Kills { get; init; } = 100;
    public bool RealCli { get; init; }

    /// <summary>The kills are spread over this span (exponential gaps, seeded).</summary>
    public TimeSpan KillSpan { get; init; } = TimeSpan.FromSeconds(90);

    /// <summary>Each question's timeout; a caller with no terminal message by timeout + 20 s counts as hung.</summary>
    public TimeSpan QueryTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Mean pause between two questions of one session.</summary>
    public TimeSpan ThinkTime { get; init; } = TimeSpan.FromMilliseconds(500);

    public int StartParallelism { get; init; } = 8;
    public int Seed { get; init; } = 20240611;

    /// <summary>Generous: the storm must not hit the bound (the default is 5 a minute per session).</summary>
    public RestartPolicy Restart { get; init; } = new()
    {
        MinBackoff = TimeSpan.FromMilliseconds(100),
        MaxBackoff = TimeSpan.FromSeconds(2),
        MaxRestarts = 1000,
        Window = TimeSpan.FromMinutes(1),
    };
}

public sealed record KillStormResult
{
    public int Sessions { get; init; }
    public int Kills { get; init; }
    public int KillsMidTurn { get; init; }
    public int Recovered { get; init; }
    public int HungCallers { get; init; }
    public int LostContext { get; init; }
    public int Orphans { get; init; }
    public double ReadyMedianMs { get; init; }
    public double ReadyP99Ms { get; init; }
    public double ReadyMaxMs { get; init; }

    /// <summary>kill → Restarting published (the crash noticed and every caller told).</summary>
    public double DetectMedianMs { get; init; }
    public double DetectP99Ms { get; init; }
    public int TurnsOk { get; init; }
    public int TurnsFailedByKill { get; init; }
    public IReadOnlyDictionary<string, int> OtherFailures { get; init; } = new Dictionary<string, int>();
    public int FinalChecksOk { get; init; }
    public int RestartCountMismatches { get; init; }
    public double StartSeconds { get; init; }
    public double StormSeconds { get; init; }
    public long PeakWorkingSetBytes { get; init; }
    public long CliPssTotalBytes { get; init; }
    public int CliProcessesMeasured { get; init; }
    public IReadOnlyList<string> Notes { get; init; } = [];

    public bool Passed => Recovered == Kills && HungCallers == 0 && LostContext == 0 && Orphans == 0 &&
                          FinalChecksOk == Sessions && OtherFailures.Count == 0 && RestartCountMismatches == 0;
}

/// <summary>
/// N sessions in conversation, each told its name first; then SIGKILLs of their CLI processes spread over the run
/// while every session keeps asking "What is my name?". Every kill must end in Ready with the name still known.
/// </summary>
public static class KillStorm
{
    public static async Task<KillStormResult> RunAsync(ActorSystem system, ChaosSandbox sandbox, KillStormSettings settings, Action<string> log)
    {
        var notes = new ConcurrentQueue<string>();
        var statusLog = new ChaosStatusLog();
        var recorder = ChaosStatusLog.Subscribe(system, statusLog);
        var clock = statusLog.Clock;
        var baseOptions = (settings.RealCli ? sandbox.RealCli() : sandbox.FakeCli()) with
        {
            Restart = settings.Restart,
            Timeout = settings.QueryTimeout,
        };
        var prefix = "storm-" + Guid.NewGuid().ToString("N")[..6] + "-";
        long peakWs = 0;
        using var sampler = new Timer(_ => Interlocked.Exchange(ref peakWs, Math.Max(Interlocked.Read(ref peakWs), ChaosProcesses.WorkingSetBytes())), null, 0, 1000);

        // ---- start and introduce
        var startWatch = Stopwatch.StartNew();
        var sessions = new ClaudeSession[settings.Sessions];
        using (var gate = new SemaphoreSlim(settings.StartParallelism))
        {
            await Task.WhenAll(Enumerable.Range(0, settings.Sessions).Select(async i =>
            {
                await gate.WaitAsync().ConfigureAwait(false);
                try
                {
                    sessions[i] = await ClaudeSession.StartAsync(system, baseOptions with { Name = prefix + i }).ConfigureAwait(false);
                    for (var attempt = 0; ; attempt++)
                    {
                        try
                        {
                            var hello = await sessions[i].FinalTextAsync($"My name is User{i}").ConfigureAwait(false);
                            if (!hello.Contains($"User{i}", StringComparison.Ordinal)) notes.Enqueue($"intro {i}: '{hello}'");
                            break;
                        }
                        catch (ClaudeSessionException) when (attempt < 2)
                        {
                        }
                    }
                }
                finally
                {
                    gate.Release();
                }
            })).ConfigureAwait(false);
        }
        var startSeconds = startWatch.Elapsed.TotalSeconds;
        var cliPids = sandbox.LiveProcesses();
        var cliPss = cliPids.Sum(ChaosProcesses.PssBytes);
        log($"kill-storm: {settings.Sessions} sessions started and introduced in {startSeconds:0.0} s; {cliPids.Count} CLI processes, Pss {ChaosStats.Mb(cliPss)}");

        // ---- conversation workers
        var stop = new CancellationTokenSource();
        var answers = new ConcurrentBag<(int Session, double StartMs, double EndMs, string Outcome)>();
        var hung = 0;
        var workers = Enumerable.Range(0, settings.Sessions).Select(i => Task.Run(async () =>
        {
            var rng = new Random(settings.Seed + i);
            var expected = $"Your name is User{i}!";
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(settings.ThinkTime.TotalMilliseconds * (0.5 + rng.NextDouble())), stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                var start = clock.Elapsed.TotalMilliseconds;
                var turn = sessions[i].FinalTextAsync("What is my name?", new QueryOptions { Timeout = settings.QueryTimeout });
                if (await Task.WhenAny(turn, Task.Delay(settings.QueryTimeout + TimeSpan.FromSeconds(20))).ConfigureAwait(false) != turn)
                {
                    Interlocked.Increment(ref hung);
                    notes.Enqueue($"session {i}: a caller got no terminal message within {settings.QueryTimeout.TotalSeconds + 20:0} s");
                }
                string outcome;
                try
                {
                    var answer = await turn.ConfigureAwait(false);
                    outcome = answer.Contains(expected, StringComparison.Ordinal) ? "ok" : "wrong:" + answer;
                }
                catch (ClaudeSessionException ex)
                {
                    outcome = "failed:" + ex.Failure.Kind;
                }
                catch (Exception ex)
                {
                    outcome = "failed:" + ex.GetType().Name;
                }
                answers.Add((i, start, clock.Elapsed.TotalMilliseconds, outcome));
            }
        })).ToArray();

        // ---- the storm
        var stormWatch = Stopwatch.StartNew();
        var killRng = new Random(settings.Seed);
        var kills = new List<(int Session, double AtMs, int Pid, SessionStatus Status)>();
        var recovering = new ConcurrentDictionary<int, double>();
        var meanGapMs = settings.KillSpan.TotalMilliseconds / Math.Max(1, settings.Kills);
        for (var k = 0; k < settings.Kills; k++)
        {
            var gap = -Math.Log(1 - killRng.NextDouble()) * meanGapMs;
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(gap, meanGapMs * 5))).ConfigureAwait(false);
            var killed = false;
            for (var attempt = 0; attempt < 400 && !killed; attempt++)
            {
                var i = killRng.Next(settings.Sessions);
                if (recovering.ContainsKey(i))
                {
                    if (recovering.Count >= settings.Sessions) await Task.Delay(50).ConfigureAwait(false);
                    continue;
                }
                var info = await sessions[i].GetInfoAsync().ConfigureAwait(false);
                if (info.Status is not (SessionStatus.Ready or SessionStatus.Busy) || info.CliProcessId is not { } pid) continue;
                var at = clock.Elapsed.TotalMilliseconds;
                try
                {
                    using var process = SysProcess.GetProcessById(pid);
                    process.Kill();
                }
                catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
                {
                    continue; // exited meanwhile
                }
                kills.Add((i, at, pid, info.Status));
                recovering[i] = at;
                killed = true;
                _ = Task.Run(async () =>
                {
                    var name = prefix + i;
                    await ChaosProcesses.WaitUntilAsync(() => statusLog.ReadyAfter(name, at) is not null, TimeSpan.FromSeconds(90), 10).ConfigureAwait(false);
                    recovering.TryRemove(i, out _);
                });
            }
            if (!killed) notes.Enqueue($"kill {k}: no session with a live CLI was found");
        }
        log($"kill-storm: {kills.Count} kills in {stormWatch.Elapsed.TotalSeconds:0.0} s; waiting for recovery");
        await ChaosProcesses.WaitUntilAsync(() => recovering.IsEmpty, TimeSpan.FromSeconds(120), 50).ConfigureAwait(false);
        await Task.Delay(TimeSpan.FromSeconds(Math.Max(2, settings.ThinkTime.TotalSeconds * 3))).ConfigureAwait(false);
        stop.Cancel();
        await Task.WhenAll(workers).ConfigureAwait(false);
        var stormSeconds = stormWatch.Elapsed.TotalSeconds;

        // ---- final check: every session Ready and still knows its name; restart counts match the kills
        var finalOk = 0;
        var finalOkSessions = new ConcurrentDictionary<int, bool>();
        var mismatches = 0;
        await Task.WhenAll(Enumerable.Range(0, settings.Sessions).Select(async i =>
        {
            try
            {
                var answer = await sessions[i].FinalTextAsync("What is my name?").ConfigureAwait(false);
                if (answer.Contains($"Your name is User{i}!", StringComparison.Ordinal))
                {
                    Interlocked.Increment(ref finalOk);
                    finalOkSessions[i] = true;
                }
                else notes.Enqueue($"final check {i}: '{answer}'");
                var info = await sessions[i].GetInfoAsync().ConfigureAwait(false);
                int killedHere;
                lock (kills) killedHere = kills.Count(k => k.Session == i);
                if (info.RestartCount != killedHere)
                {
                    Interlocked.Increment(ref mismatches);
                    notes.Enqueue($"session {i}: RestartCount {info.RestartCount} after {killedHere} kills");
                }
            }
            catch (Exception ex)
            {
                notes.Enqueue($"final check {i}: {ex.GetType().Name}: {ex.Message}");
            }
        })).ConfigureAwait(false);

        // ---- per kill: Ready again, and a correct answer asked after that Ready
        var readyMs = new List<double>();
        var detectMs = new List<double>();
        var recovered = 0;
        var all = answers.ToList();
        foreach (var kill in kills)
        {
            var ready = statusLog.ReadyAfter(prefix + kill.Session, kill.AtMs);
            if (ready is null)
            {
                notes.Enqueue($"kill of session {kill.Session} at {kill.AtMs:0} ms: never Ready again");
                continue;
            }
            readyMs.Add(ready.Value - kill.AtMs);
            var restarting = statusLog.For(prefix + kill.Session).FirstOrDefault(e => e.AtMs >= kill.AtMs - 1 && e.Status == SessionStatus.Restarting);
            if (restarting != default) detectMs.Add(restarting.AtMs - kill.AtMs);
            var answeredAfter = all.Any(a => a.Session == kill.Session && a.StartMs >= ready.Value - 1 && a.Outcome == "ok");
            if (answeredAfter || finalOkSessions.ContainsKey(kill.Session)) recovered++;
        }

        var lost = all.Count(a => a.Outcome.StartsWith("wrong:", StringComparison.Ordinal));
        foreach (var wrong in all.Where(a => a.Outcome.StartsWith("wrong:", StringComparison.Ordinal)).Take(5))
            notes.Enqueue($"lost context: session {wrong.Session} answered '{wrong.Outcome[6..]}'");
        var failedByKill = all.Count(a => a.Outcome == "failed:" + FailureKind.CliCrashed);
        var other = all.Where(a => a.Outcome.StartsWith("failed:", StringComparison.Ordinal) && a.Outcome != "failed:" + FailureKind.CliCrashed)
            .GroupBy(a => a.Outcome[7..]).ToDictionary(g => g.Key, g => g.Count());

        // ---- stop everything, then count what is left
        await Task.WhenAll(sessions.Select(async s =>
        {
            try
            {
                await s.StopAsync().ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                notes.Enqueue("stop: " + ex.Message);
            }
        })).ConfigureAwait(false);
        await ChaosProcesses.WaitUntilAsync(() => sandbox.LiveProcesses().Count == 0, TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        var orphans = sandbox.LiveProcesses().Count;
        if (orphans > 0) notes.Enqueue($"{orphans} orphan(s): " + string.Join(", ", sandbox.LiveProcesses().Select(p => p + " " + ChaosProcesses.Comm(p))));
        system.Stop(recorder);

        return new KillStormResult
        {
            Sessions = settings.Sessions,
            Kills = kills.Count,
            KillsMidTurn = kills.Count(k => k.Status == SessionStatus.Busy),
            Recovered = recovered,
            HungCallers = hung,
            LostContext = lost,
            Orphans = orphans,
            ReadyMedianMs = ChaosStats.Percentile(readyMs, 50),
            ReadyP99Ms = ChaosStats.Percentile(readyMs, 99),
            ReadyMaxMs = readyMs.Count == 0 ? double.NaN : readyMs.Max(),
            DetectMedianMs = ChaosStats.Percentile(detectMs, 50),
            DetectP99Ms = ChaosStats.Percentile(detectMs, 99),
            TurnsOk = all.Count(a => a.Outcome == "ok"),
            TurnsFailedByKill = failedByKill,
            OtherFailures = other,
            FinalChecksOk = finalOk,
            RestartCountMismatches = mismatches,
            StartSeconds = startSeconds,
            StormSeconds = stormSeconds,
            PeakWorkingSetBytes = Interlocked.Read(ref peakWs),
            CliPssTotalBytes = cliPss,
            CliProcessesMeasured = cliPids.Count,
            Notes = notes.ToList(),
        };
    }

    /// <summary>
    /// kill→Ready without a storm around it: one fresh session per kill (so the backoff is the policy's first step,
    /// not one grown by earlier restarts in the window), killed once when idle, then asked its name again.
    /// The product's own figure (backoff + CLI start + handshake), not CPU contention's.
    /// </summary>
    public static async Task<IReadOnlyList<double>> IsolatedKillsAsync(ActorSystem system, ChaosSandbox sandbox, bool realCli, int kills, RestartPolicy policy)
    {
        var statusLog = new ChaosStatusLog();
        var recorder = ChaosStatusLog.Subscribe(system, statusLog);
        var times = new List<double>();
        try
        {
            for (var k = 0; k < kills; k++)
            {
                var name = "isolated-" + Guid.NewGuid().ToString("N")[..6];
                var options = (realCli ? sandbox.RealCli(name) : sandbox.FakeCli(name)) with { Restart = policy };
                var session = await ClaudeSession.StartAsync(system, options).ConfigureAwait(false);
                try
                {
                    await session.FinalTextAsync($"My name is Isolated{k}").ConfigureAwait(false);
                    await Task.Delay(500).ConfigureAwait(false);
                    var pid = (await session.GetInfoAsync().ConfigureAwait(false)).CliProcessId ?? throw new InvalidOperationException("no CLI");
                    var at = statusLog.Clock.Elapsed.TotalMilliseconds;
                    using (var process = SysProcess.GetProcessById(pid)) process.Kill();
                    await ChaosProcesses.WaitUntilAsync(() => statusLog.ReadyAfter(name, at) is not null, TimeSpan.FromSeconds(60), 5).ConfigureAwait(false);
                    if (statusLog.ReadyAfter(name, at) is { } ready) times.Add(ready - at);
                    var answer = await session.FinalTextAsync("What is my name?").ConfigureAwait(false);
                    if (!answer.Contains($"Isolated{k}", StringComparison.Ordinal)) throw new InvalidOperationException($"lost context after kill {k}: '{answer}'");
                }
                finally
                {
                    await session.StopAsync().ConfigureAwait(false);
                }
            }
        }
        finally
        {
            system.Stop(recorder);
        }
        return times;
    }
}
