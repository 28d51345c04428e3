using System.Collections.Concurrent;
using System.Diagnostics;
using SysProcess = System.Diagnostics.Process;
using System.Diagnostics.Metrics;
using Akka.Actor;
using Akka.Configuration;
using ClaudeActors.Client;
using ClaudeActors.Protocol;
using ClaudeActors.Sessions;
using ClaudeActors.Supervision;
using ClaudeActors.Testing;
using ClaudeActors.Tests.Chaos;

namespace ClaudeActors.Chaos;

internal static class Cases
{
    private static ActorSystem NewSystem(string level = "WARNING") =>
        ActorSystem.Create("chaos", ConfigurationFactory.ParseString(ChaosListLogger.Hocon(level)));

    /// <summary>Terminates the system and reports processes of the sandboxes that outlive it.</summary>
    private static async Task<int> TerminateAsync(ActorSystem system, params ChaosSandbox[] sandboxes)
    {
        await system.Terminate();
        await ChaosProcesses.WaitUntilAsync(() => sandboxes.All(s => s.LiveProcesses().Count == 0), TimeSpan.FromSeconds(10));
        return sandboxes.Sum(s => s.KillLeftovers());
    }

    // ------------------------------------------------------------------------------------------ kill-storm

    public static async Task KillStormAsync(Section section, CampaignOptions o, bool fake)
    {
        if (!fake && !File.Exists(ChaosPaths.RealCli))
        {
            section.Fail("the real CLI is not installed (tools/claude-cli)");
            return;
        }
        await using var api = fake ? null : await FakeMessagesApi.StartAsync();
        using var sandbox = new ChaosSandbox(api?.BaseUrl);
        var sessions = o.Sessions ?? (fake ? (o.Quick ? 50 : 200) : (o.Quick ? 8 : 20));
        var settings = new KillStormSettings
        {
            Sessions = sessions,
            Kills = o.Kills ?? (o.Quick ? 30 : 100),
            RealCli = !fake,
            KillSpan = TimeSpan.FromSeconds(o.SpanSeconds ?? (o.Quick ? 30 : 90)),
            // The load must stay bounded on 2 shared cores: ~20 questions a second in all.
            ThinkTime = TimeSpan.FromMilliseconds(Math.Max(1000, sessions * 50)),
            QueryTimeout = TimeSpan.FromSeconds(fake ? 60 : 120),
            StartParallelism = fake ? 8 : 3,
        };
        section.Row("CLI", fake ? "fake-claude" : "real claude (node) + FakeMessagesApi");
        section.Row("sessions / kills / span", $"{settings.Sessions} / {settings.Kills} / {settings.KillSpan.TotalSeconds:0} s");
        section.Row("restart policy", $"MinBackoff {settings.Restart.MinBackoff.TotalMilliseconds:0} ms, MaxBackoff {settings.Restart.MaxBackoff.TotalSeconds:0} s, {settings.Restart.MaxRestarts}/{settings.Restart.Window.TotalMinutes:0} min");
        var system = NewSystem();
        KillStormResult r;
        try
        {
            r = await KillStorm.RunAsync(system, sandbox, settings, Console.WriteLine);
        }
        finally
        {
            var afterTerminate = await TerminateAsync(system, sandbox);
            section.Row("processes left after ActorSystem.Terminate", afterTerminate);
            section.Expect(afterTerminate == 0, $"{afterTerminate} processes outlived the ActorSystem");
        }
        section.Row("start + introduce (s)", $"{r.StartSeconds:0.0}");
        section.Row("CLI memory after start (Pss)", $"{ChaosStats.Mb(r.CliPssTotalBytes)} for {r.CliProcessesMeasured} processes ({ChaosStats.Mb(r.CliProcessesMeasured == 0 ? 0 : r.CliPssTotalBytes / r.CliProcessesMeasured)} each)");
        section.Row("host peak working set", ChaosStats.Mb(r.PeakWorkingSetBytes));
        section.Row("kills (mid-turn)", $"{r.Kills} ({r.KillsMidTurn})");
        section.Row("recovered (Ready + correct answer after)", r.Recovered);
        section.Row("kill→Ready median / p99 / max", $"{ChaosStats.Ms(r.ReadyMedianMs)} / {ChaosStats.Ms(r.ReadyP99Ms)} / {ChaosStats.Ms(r.ReadyMaxMs)}");
        section.Row("of which kill→Restarting (crash noticed) median / p99", $"{ChaosStats.Ms(r.DetectMedianMs)} / {ChaosStats.Ms(r.DetectP99Ms)}");
        section.Row("hung callers", r.HungCallers);
        section.Row("lost context (wrong answers)", r.LostContext);
        section.Row("turns ok / failed with CliCrashed", $"{r.TurnsOk} / {r.TurnsFailedByKill}");
        section.Row("other failures", r.OtherFailures.Count == 0 ? "none" : string.Join(", ", r.OtherFailures.Select(kv => $"{kv.Key}×{kv.Value}")));
        section.Row("final check (name known)", $"{r.FinalChecksOk}/{r.Sessions}");
        section.Row("RestartCount ≠ kills", r.RestartCountMismatches);
        section.Row("orphans after stopping all sessions", r.Orphans);
        section.Row("storm duration (s)", $"{r.StormSeconds:0.0}");
        foreach (var note in r.Notes.Take(12)) section.Row("note", note);
        if (!r.Passed) section.Fail("kill-storm: not every kill recovered cleanly (see figures)");

        // The same kill without a storm around it (a fresh idle session per kill): the product's own latency.
        var system2 = NewSystem();
        try
        {
            var isolated = await KillStorm.IsolatedKillsAsync(system2, sandbox, !fake, o.Quick ? 5 : 10, settings.Restart);
            section.Row("isolated kills (a fresh idle session per kill, no storm): kill→Ready median / max",
                $"{ChaosStats.Ms(ChaosStats.Percentile(isolated.ToList(), 50))} / {ChaosStats.Ms(isolated.Count == 0 ? double.NaN : isolated.Max())} ({isolated.Count} kills, context kept)");
        }
        catch (Exception ex)
        {
            section.Fail("isolated kills: " + ex.Message);
        }
        finally
        {
            var left = await TerminateAsync(system2, sandbox);
            section.Expect(left == 0, $"{left} processes outlived the second ActorSystem");
        }
        if (api is not null) section.Row("fake API requests", api.Requests.Count);
    }

    // ------------------------------------------------------------------------------------------ host-death

    public static async Task HostDeathAsync(Section section, CampaignOptions o)
    {
        if (ChaosPaths.HostDll is not { } hostDll)
        {
            section.Fail("the host is not built (dotnet build src/ClaudeActors.Host)");
            return;
        }
        section.Row("host", hostDll + $" (built {File.GetLastWriteTime(hostDll):HH:mm})");
        var runs = o.Quick ? 2 : 3;
        var figures = new List<double>();
        foreach (var variant in new[] { "fake", "real" })
        {
            if (variant == "real" && !File.Exists(ChaosPaths.RealCli)) continue;
            for (var i = 0; i < runs; i++)
            {
                await using var api = variant == "real" ? await FakeMessagesApi.StartAsync() : null;
                using var sandbox = new ChaosSandbox(api?.BaseUrl);
                var cli = variant == "real" ? ChaosPaths.RealCli : ChaosPaths.FakeCli;
                var r = await HostDeath.RunAsync(hostDll, cli, sandbox, TimeSpan.FromSeconds(60));
                section.Row($"{variant} CLI run {i + 1}", $"turn running: {r.TurnWasRunning}; {r.Notes}; gone {ChaosStats.Ms(r.GoneAfterMs)} after SIGKILL of the host; left {r.Left}");
                if (!double.IsNaN(r.GoneAfterMs)) figures.Add(r.GoneAfterMs);
                section.Expect(r.Passed, $"{variant} run {i + 1}: not all CLI processes gone within 5 s (or no turn ran): {r.Notes}");
            }
        }
        section.Row("host SIGKILL → no CLI left: max", ChaosStats.Ms(figures.Count == 0 ? double.NaN : figures.Max()));
    }

    // ------------------------------------------------------------------------------------------ slow-consumer

    public static async Task SlowConsumerAsync(Section section, CampaignOptions o)
    {
        var stall = TimeSpan.FromSeconds(o.Quick ? 5 : 30);
        using var sandbox = new ChaosSandbox();
        using var healthySandbox = new ChaosSandbox();
        var system = NewSystem();
        try
        {
            var session = await ClaudeSession.StartAsync(system, sandbox.FakeCli("slow-consumer") with { IncludePartialMessages = true });
            await session.FinalTextAsync("Say exactly: warm");
            await using var healthy = await ChaosHealthyLoop.StartAsync(system, healthySandbox, TimeSpan.FromMilliseconds(200));
            section.Row("stall", $"{stall.TotalSeconds:0} s (consumer reads the first message, then nothing)");
            foreach (var flood in new[] { 10_000, 50_000 })
            {
                var baseline = Heap();
                var baselineWs = ChaosProcesses.WorkingSetBytes();
                healthy.TakeWindow();
                var enumerator = session.StreamAsync($"[flood:{flood}] go").GetAsyncEnumerator();
                await enumerator.MoveNextAsync();
                var count = 1;
                long peakWs = 0, peakHeap = 0;
                var statuses = new HashSet<SessionStatus>();
                var watch = Stopwatch.StartNew();
                while (watch.Elapsed < stall)
                {
                    peakWs = Math.Max(peakWs, ChaosProcesses.WorkingSetBytes());
                    peakHeap = Math.Max(peakHeap, GC.GetGCMemoryInfo().HeapSizeBytes);
                    statuses.Add((await session.GetInfoAsync()).Status);
                    await Task.Delay(200);
                }
                var window = healthy.TakeWindow();
                var cliPids = sandbox.LiveProcesses();
                var cliState = string.Join(",", cliPids.Select(p => ChaosProcesses.Comm(p) + ":" + ProcState(p)));
                var drain = Stopwatch.StartNew();
                var deltas = 0;
                ClaudeMessage? last = null;
                if (enumerator.Current is StreamEventMessage { EventType: "content_block_delta" }) deltas++;
                while (await enumerator.MoveNextAsync())
                {
                    count++;
                    last = enumerator.Current;
                    if (last is StreamEventMessage { EventType: "content_block_delta" }) deltas++;
                }
                await enumerator.DisposeAsync();
                section.Row($"flood {flood}: messages / deltas", $"{count} / {deltas} (result last: {last is ResultMessage})");
                section.Row($"flood {flood}: peak working set during stall", $"{ChaosStats.Mb(peakWs)} (before {ChaosStats.Mb(baselineWs)})");
                section.Row($"flood {flood}: peak GC heap during stall", $"{ChaosStats.Mb(peakHeap)} (before {ChaosStats.Mb(baseline)})");
                section.Row($"flood {flood}: drain time", $"{drain.Elapsed.TotalMilliseconds:0} ms");
                section.Row($"flood {flood}: session status during stall", string.Join(",", statuses));
                section.Row($"flood {flood}: CLI process state at end of stall", cliState);
                section.Row($"flood {flood}: healthy session beside (turns, max latency, problems)", $"{window.Turns}, {window.MaxLatencyMs:0} ms, {window.Problems.Count}");
                section.Expect(deltas == flood && last is ResultMessage, $"flood {flood}: {deltas} deltas arrived, result last {last is ResultMessage}");
                section.Expect(window.Problems.Count == 0, $"flood {flood}: the healthy session had problems: {string.Join("; ", window.Problems)}");
            }
            section.Row("heap after full GC, end", ChaosStats.Mb(Heap()));
            var next = await session.FinalTextAsync("Say exactly: after");
            section.Expect(next == "after", "the session did not answer after the slow consumer");
        }
        finally
        {
            var left = await TerminateAsync(system, sandbox, healthySandbox);
            section.Expect(left == 0, $"{left} processes outlived the ActorSystem");
        }
    }

    private static string ProcState(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)].ToString();
        }
        catch (IOException)
        {
            return "?";
        }
    }

    private static long Heap()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    // ------------------------------------------------------------------------------------------ permission-block

    public static async Task PermissionBlockAsync(Section section, CampaignOptions o)
    {
        if (!File.Exists(ChaosPaths.RealCli))
        {
            section.Fail("the real CLI is not installed (tools/claude-cli)");
            return;
        }
        var block = TimeSpan.FromSeconds(o.Quick ? 5 : 60);
        await using var apiA = await FakeMessagesApi.StartAsync();
        await using var apiB = await FakeMessagesApi.StartAsync();
        using var sandboxA = new ChaosSandbox(apiA.BaseUrl);
        using var sandboxB = new ChaosSandbox(apiB.BaseUrl);
        var system = NewSystem();
        var probe = new PermissionProbe { Block = block };
        var handler = CallbackHandler.Delegate<ToolPermissionRequest, PermissionDecision>(probe.HandleAsync);
        try
        {
            var blocked = await ClaudeSession.StartAsync(system, sandboxA.RealCli("perm-blocked") with
            {
                Callbacks = new() { Permissions = handler, Timeout = TimeSpan.FromMinutes(10) },
            });
            var healthy = await ClaudeSession.StartAsync(system, sandboxB.RealCli("perm-healthy"));
            var baseline = new List<double>();
            for (var i = 0; i < 3; i++) baseline.Add(await TimedTurn(healthy, "b" + i));
            section.Row("healthy turn latency before (median)", ChaosStats.Ms(ChaosStats.Percentile(baseline, 50)));

            // Phase 1: the handler takes `block`; the other session keeps answering.
            var file1 = Path.Combine(sandboxA.WorkDir, "blocked-1.txt");
            apiA.EnqueueReply(FakeReply.ToolUse("Write", new { file_path = file1, content = "after the wait" }));
            var turnWatch = Stopwatch.StartNew();
            var turn1 = blocked.QueryAsync("Please write the file");
            await probe.Started.Task.WaitAsync(TimeSpan.FromSeconds(90));
            var during = new List<double>();
            var failures = 0;
            while (!probe.Finished.Task.IsCompleted)
            {
                try
                {
                    during.Add(await TimedTurn(healthy, "d" + during.Count));
                }
                catch (ClaudeSessionException)
                {
                    failures++;
                }
            }
            var result1 = await turn1.WaitAsync(TimeSpan.FromSeconds(90));
            section.Row("handler wait", $"{block.TotalSeconds:0} s");
            section.Row("blocked session: turn end-to-end", $"{turnWatch.Elapsed.TotalSeconds:0.0} s, is_error {result1.IsError}, file written {File.Exists(file1)}");
            section.Row("healthy turns during the wait: count / median / p99 / max", $"{during.Count} / {ChaosStats.Ms(ChaosStats.Percentile(during, 50))} / {ChaosStats.Ms(ChaosStats.Percentile(during, 99))} / {ChaosStats.Ms(during.Count == 0 ? double.NaN : during.Max())}");
            section.Row("healthy failures during the wait", failures);
            section.Expect(failures == 0 && during.Count > 0, "the healthy session did not answer normally during the wait");
            section.Expect(File.Exists(file1) && !result1.IsError, "the blocked turn did not complete after the handler allowed it");

            // Phase 2: while a handler waits, InterruptAsync must answer promptly and end the turn.
            probe.Reset(TimeSpan.FromMinutes(5));
            var file2 = Path.Combine(sandboxA.WorkDir, "blocked-2.txt");
            apiA.EnqueueReply(FakeReply.ToolUse("Write", new { file_path = file2, content = "never" }));
            var turn2 = blocked.QueryAsync("Please write the second file");
            await probe.Started.Task.WaitAsync(TimeSpan.FromSeconds(90));
            await Task.Delay(1000);
            var interruptWatch = Stopwatch.StartNew();
            string interruptOutcome;
            try
            {
                await blocked.InterruptAsync().WaitAsync(TimeSpan.FromSeconds(30));
                interruptOutcome = "ok";
            }
            catch (Exception ex)
            {
                interruptOutcome = ex.GetType().Name + ": " + ex.Message;
            }
            var interruptMs = interruptWatch.Elapsed.TotalMilliseconds;
            string turnOutcome;
            try
            {
                var r2 = await turn2.WaitAsync(TimeSpan.FromSeconds(60));
                turnOutcome = "completed (is_error " + r2.IsError + ")";
            }
            catch (ClaudeSessionException ex)
            {
                turnOutcome = ex.Failure.Kind.ToString();
            }
            catch (TimeoutException)
            {
                turnOutcome = "no terminal message within 60 s";
            }
            var turnEndMs = interruptWatch.Elapsed.TotalMilliseconds;
            var cancelled = await Task.WhenAny(probe.Cancelled.Task, Task.Delay(5000)) == probe.Cancelled.Task;
            section.Row("InterruptAsync while the handler waits", $"{interruptOutcome} in {interruptMs:0} ms");
            section.Row("blocked turn after the interrupt", $"{turnOutcome}, {turnEndMs:0} ms after the interrupt");
            section.Row("handler's token cancelled (control_cancel_request)", cancelled);
            section.Row("second file written", File.Exists(file2));
            section.Expect(interruptOutcome == "ok" && interruptMs < 5000, "InterruptAsync did not answer within 5 s");
            section.Expect(turnOutcome == nameof(FailureKind.Interrupted) && turnEndMs < 10_000, "the interrupted turn did not end with Interrupted within 10 s");
            probe.Release();
            var after = await TimedTurn(blocked, "after");
            section.Row("blocked session: next turn", ChaosStats.Ms(after));
            await blocked.StopAsync();
            await healthy.StopAsync();
        }
        finally
        {
            probe.Release();
            var left = await TerminateAsync(system, sandboxA, sandboxB);
            section.Expect(left == 0, $"{left} processes outlived the ActorSystem");
        }
    }

    private static async Task<double> TimedTurn(ClaudeSession session, string text)
    {
        var watch = Stopwatch.StartNew();
        var answer = await session.FinalTextAsync("Say exactly: " + text, new QueryOptions { Timeout = TimeSpan.FromSeconds(60) });
        if (!answer.Contains(text, StringComparison.Ordinal)) throw new InvalidOperationException($"answer '{answer}' to '{text}'");
        return watch.Elapsed.TotalMilliseconds;
    }

    private sealed class PermissionProbe
    {
        private CancellationTokenSource _release = new();
        public TimeSpan Block { get; set; }
        public TaskCompletionSource Started { get; private set; } = New();
        public TaskCompletionSource Finished { get; private set; } = New();
        public TaskCompletionSource Cancelled { get; private set; } = New();

        private static TaskCompletionSource New() => new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Reset(TimeSpan block)
        {
            Block = block;
            Started = New();
            Finished = New();
            Cancelled = New();
            _release = new CancellationTokenSource();
        }

        public void Release() => _release.Cancel();

        public async Task<PermissionDecision> HandleAsync(ToolPermissionRequest request, CancellationToken ct)
        {
            Started.TrySetResult();
            try
            {
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, _release.Token);
                try
                {
                    await Task.Delay(Block, linked.Token);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    // released by the campaign
                }
                catch (OperationCanceledException)
                {
                    Cancelled.TrySetResult();
                    throw;
                }
                return PermissionDecision.Allow();
            }
            finally
            {
                Finished.TrySetResult();
            }
        }
    }

    // ------------------------------------------------------------------------------------------ hostile-input

    public static async Task HostileInputAsync(Section section, CampaignOptions o, CampaignReport report)
    {
        using var healthySandbox = new ChaosSandbox();
        var system = NewSystem();
        var outcomes = new List<HostileOutcome>();
        try
        {
            await using var healthy = await ChaosHealthyLoop.StartAsync(system, healthySandbox, TimeSpan.FromMilliseconds(200));
            var cases = HostileCatalogue.All.Where(c => o.Only is null || o.Only.Contains(c.Id)).ToList();
            foreach (var c in cases)
            {
                var outcome = await HostileCatalogue.RunAsync(c, system, healthy, TimeSpan.FromSeconds(90));
                outcomes.Add(outcome);
                Console.WriteLine($"  {c.Id} {(outcome.Passed ? "pass" : "FAIL")} {outcome.ElapsedMs,7:0} ms  {outcome.Observed}");
            }
        }
        finally
        {
            var left = await TerminateAsync(system, healthySandbox);
            section.Expect(left == 0, $"{left} processes outlived the ActorSystem");
        }
        section.Row("cases run / passed / failed", $"{outcomes.Count} / {outcomes.Count(x => x.Passed)} / {outcomes.Count(x => !x.Passed)}");
        section.Row("healthy-session turns beside the cases", outcomes.Sum(x => x.HealthyTurns));
        section.Row("healthy-session problems", outcomes.Sum(x => x.HealthyProblems.Count));
        section.Row("processes left after a case", outcomes.Sum(x => x.LeftoverProcesses));
        foreach (var failed in outcomes.Where(x => !x.Passed)) section.Fail($"{failed.Case.Id}: {failed.Observed}");
        section.Extra.Add(HostileCatalogue.Table(outcomes));
    }

    // ------------------------------------------------------------------------------------------ secrets

    public const string Marker = "MARKER-chaos";
    // Split so that no scanner mistakes this test marker for a committed key.
    public const string MarkedKey = "sk-" + "ant-MARKER-chaos-1234567890";
    public const string MarkedToken = "opaque-MARKER-chaos-token-abcdef";

    public static async Task SecretsAsync(Section section, CampaignOptions o)
    {
        var seen = new ConcurrentQueue<(string Source, string Text)>();
        void Add(string source, string? text)
        {
            if (!string.IsNullOrEmpty(text)) seen.Enqueue((source, text));
        }

        using var activities = new ActivityListener
        {
            ShouldListenTo = s => s.Name == Telemetry.ClaudeActorsTelemetry.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => Add("activity", a.DisplayName + " " + a.StatusDescription + " " + string.Join(" ", a.TagObjects.Select(t => t.Key + "=" + t.Value))),
        };
        ActivitySource.AddActivityListener(activities);
        using var meters = new MeterListener();
        meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == Telemetry.ClaudeActorsTelemetry.MeterName) listener.EnableMeasurementEvents(instrument);
        };
        var measurements = 0;
        void OnMeasurement<T>(Instrument instrument, T value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
        {
            Interlocked.Increment(ref measurements);
            foreach (var tag in tags) Add("metric " + instrument.Name, tag.Key + "=" + tag.Value);
        }
        meters.SetMeasurementEventCallback<long>(OnMeasurement);
        meters.SetMeasurementEventCallback<double>(OnMeasurement);
        meters.Start();

        while (ChaosListLogger.Events.TryDequeue(out _))
        {
        }
        await using var api = await FakeMessagesApi.StartAsync();
        using var sandbox = new ChaosSandbox(api.BaseUrl);
        var system = NewSystem("DEBUG");
        var statusLog = new ConcurrentQueue<SessionStatusChanged>();
        var statusActor = system.ActorOf(Props.Create(() => new StatusCollector(statusLog)));
        system.EventStream.Subscribe(statusActor, typeof(SessionStatusChanged));
        var env = sandbox.Environment(MarkedKey);
        env["MY_SERVICE_TOKEN"] = MarkedToken;
        var scenarios = new List<string>();

        async Task Scenario(string name, Func<Task> body)
        {
            scenarios.Add(name);
            try
            {
                await body().WaitAsync(TimeSpan.FromSeconds(90));
            }
            catch (Exception ex)
            {
                Add(name + ": exception", ex.ToString());
                if (ex is ClaudeSessionException cse)
                {
                    Add(name + ": failure", cse.Failure.ToString());
                    Add(name + ": failure message", cse.Failure.Message);
                    Add(name + ": stderr tail", cse.Failure.StderrTail);
                }
            }
        }

        async Task Collect(string name, ClaudeSession session, SessionOptions options)
        {
            Add(name + ": options", options.ToString());
            Add(name + ": StartSession", new StartSession(options).ToString());
            try
            {
                var info = await session.GetInfoAsync();
                Add(name + ": info", info.ToString());
                Add(name + ": info failure", info.LastFailure?.ToString());
                Add(name + ": list", string.Join(" ", (await new ClaudeSessionsClient(system).ListAsync()).Select(i => i.ToString())));
            }
            catch (Exception ex)
            {
                Add(name + ": info exception", ex.ToString());
            }
        }

        var fake = sandbox.FakeCli() with { Environment = env };
        var real = sandbox.RealCli() with { Environment = env };
        try
        {
            await Scenario("fake: turn, stderr, crash, restart", async () =>
            {
                var options = fake with { Name = "secret-fake" };
                var s = await ClaudeSession.StartAsync(system, options);
                await s.FinalTextAsync("[stderr:5000] Say exactly: hi");
                await Collect("fake", s, options);
                try
                {
                    await s.FinalTextAsync("[crash] die");
                }
                catch (ClaudeSessionException ex)
                {
                    Add("fake crash: exception", ex.ToString());
                    Add("fake crash: stderr tail", ex.Failure.StderrTail);
                }
                await s.WaitUntilReadyAsync(TimeSpan.FromSeconds(30));
                await Collect("fake after restart", s, options);
                await s.StopAsync();
            });
            await Scenario("script: key on stderr, exit at start", async () =>
            {
                var options = fake with
                {
                    Name = "secret-start",
                    CliPath = ScriptCli.Write(sandbox, "secret-start", new ScriptSpec
                    {
                        Start = "echo \"Error: invalid key $ANTHROPIC_API_KEY (token $MY_SERVICE_TOKEN)\" >&2\nexit 2",
                    }),
                };
                Add("script start: options", options.ToString());
                await ClaudeSession.StartAsync(system, options);
            });
            await Scenario("script: key on stderr mid-turn, with a 2000-char line cut inside the key, then crash", async () =>
            {
                var options = fake with
                {
                    Name = "secret-turn",
                    CliPath = ScriptCli.Write(sandbox, "secret-turn", new ScriptSpec
                    {
                        Turn = "sys_init\necho \"debug: using $ANTHROPIC_API_KEY\" >&2\n" +
                               "printf '%1987s' '' | tr ' ' 'p' >&2; echo \"$ANTHROPIC_API_KEY\" >&2\n" +
                               "printf '%1990s' '' | tr ' ' 'q' >&2; echo \"$MY_SERVICE_TOKEN\" >&2\nexit 1",
                    }),
                };
                var s = await ClaudeSession.StartAsync(system, options);
                try
                {
                    await s.FinalTextAsync("go");
                }
                catch (ClaudeSessionException ex)
                {
                    Add("script turn: exception", ex.ToString());
                    Add("script turn: stderr tail", ex.Failure.StderrTail);
                }
                await Collect("script turn", s, options);
                await s.StopAsync();
            });
            await Scenario("script: key in a non-JSON stdout line, then crash", async () =>
            {
                var options = fake with
                {
                    Name = "secret-stdout",
                    CliPath = ScriptCli.Write(sandbox, "secret-stdout", new ScriptSpec
                    {
                        Turn = "sys_init\necho \"Using API key $ANTHROPIC_API_KEY and $MY_SERVICE_TOKEN\"\nexit 1",
                    }),
                };
                var s = await ClaudeSession.StartAsync(system, options);
                try
                {
                    await s.FinalTextAsync("go");
                }
                catch (ClaudeSessionException ex)
                {
                    Add("script stdout: exception", ex.ToString());
                }
                await Collect("script stdout", s, options);
                await s.StopAsync();
            });
            await Scenario("config: missing working directory, bad env name, missing CLI", async () =>
            {
                foreach (var bad in new[]
                         {
                             fake with { Name = "secret-wd", WorkingDirectory = Path.Combine(sandbox.Root, "missing") },
                             fake with { Name = "secret-env", Environment = new Dictionary<string, string>(env) { ["BAD=NAME"] = MarkedKey } },
                             fake with { Name = "secret-cli", CliPath = "/nonexistent/claude" },
                         })
                {
                    try
                    {
                        await ClaudeSession.StartAsync(system, bad);
                    }
                    catch (ClaudeSessionException ex)
                    {
                        Add("config: exception", ex.ToString());
                    }
                    Add("config: options", bad.ToString());
                }
            });
            if (File.Exists(ChaosPaths.RealCli))
            {
                await Scenario("real CLI: turn, API 401, API 500, kill -9, restart", async () =>
                {
                    var options = real with { Name = "secret-real" };
                    var s = await ClaudeSession.StartAsync(system, options);
                    await s.FinalTextAsync("Say exactly: real");
                    foreach (var status in new[] { 401, 500 })
                    {
                        try
                        {
                            await s.FinalTextAsync($"[error:{status}] fail please", new QueryOptions { Timeout = TimeSpan.FromSeconds(60) });
                        }
                        catch (ClaudeSessionException ex)
                        {
                            Add($"real {status}: exception", ex.ToString());
                            Add($"real {status}: result", ex.Failure.Result?.Result);
                        }
                    }
                    var pid = (await s.GetInfoAsync()).CliProcessId;
                    if (pid is { } p) SysProcess.GetProcessById(p).Kill();
                    await Task.Delay(500);
                    await s.WaitUntilReadyAsync(TimeSpan.FromSeconds(60));
                    await s.FinalTextAsync("Say exactly: again");
                    await Collect("real", s, options);
                    Add("real: conversation", string.Join(" ", (await s.GetConversationAsync()).Messages.Select(m => m.ToString())));
                    await s.StopAsync();
                });
            }
        }
        finally
        {
            var left = await TerminateAsync(system, sandbox);
            section.Expect(left == 0, $"{left} processes outlived the ActorSystem");
        }
        meters.RecordObservableInstruments();
        foreach (var e in ChaosListLogger.Events) Add("log " + e.LogLevel(), ChaosListLogger.Render(e));
        foreach (var s in statusLog) Add("status event", s.ToString());

        // A leak is the marker, or the first 10 characters of either secret (a value cut by truncation still leaks its head).
        string[] needles = [Marker, MarkedKey[..10], MarkedToken[..10]];
        var leaks = seen.Where(x => needles.Any(n => x.Text.Contains(n, StringComparison.Ordinal))).ToList();
        section.Row("marker", $"ANTHROPIC_API_KEY={MarkedKey}, MY_SERVICE_TOKEN={MarkedToken}");
        section.Row("scenarios", string.Join("; ", scenarios));
        section.Row("texts inspected", $"{seen.Count} (log events {ChaosListLogger.Events.Count}, metric measurements {measurements}, activities {seen.Count(x => x.Source == "activity")}, status events {statusLog.Count})");
        section.Row("occurrences of the marker", leaks.Count);
        foreach (var group in leaks.GroupBy(l => l.Source).Take(12))
        {
            var sample = group.First().Text;
            var at = needles.Select(n => sample.IndexOf(n, StringComparison.Ordinal)).Where(i => i >= 0).Min();
            var snippet = sample.Substring(Math.Max(0, at - 60), Math.Min(sample.Length - Math.Max(0, at - 60), 120)).Replace('\n', ' ');
            section.Row($"leak: {group.Key} (×{group.Count()})", "…" + snippet + "…");
        }
        foreach (var tail in seen.Where(x => x.Source.EndsWith("stderr tail", StringComparison.Ordinal)))
            section.Row("stderr tail seen: " + tail.Source, HostileContext.OneLine(System.Text.RegularExpressions.Regex.Replace(
                tail.Text.Replace(Marker, "<MARKER>", StringComparison.Ordinal), "([pq])\\1{20,}", m => $"{m.Value[0]}×{m.Length}"), 400));
        section.Expect(leaks.Count == 0, $"the marker appeared {leaks.Count} times");
    }

    private sealed class StatusCollector : ReceiveActor
    {
        public StatusCollector(ConcurrentQueue<SessionStatusChanged> into) => Receive<SessionStatusChanged>(into.Enqueue);
    }

    // ------------------------------------------------------------------------------------------ soak

    public static async Task SoakAsync(Section section, CampaignOptions o)
    {
        var duration = TimeSpan.FromMinutes(o.SoakMinutes);
        var sessions = o.Sessions ?? 20;
        using var sandbox = new ChaosSandbox();
        var system = NewSystem();
        var stop = new CancellationTokenSource();
        long turns = 0, failures = 0, crashes = 0, abandons = 0;
        try
        {
            var list = new List<ClaudeSession>();
            for (var i = 0; i < sessions; i++)
                list.Add(await ClaudeSession.StartAsync(system, sandbox.FakeCli("soak-" + i) with
                {
                    IncludePartialMessages = true,
                    Restart = new RestartPolicy { MinBackoff = TimeSpan.FromMilliseconds(100), MaxRestarts = 100, Window = TimeSpan.FromMinutes(1) },
                }));
            await Task.WhenAll(list.Select((s, i) => s.FinalTextAsync($"My name is Soak{i}")));
            var start = Snapshot(sandbox);
            section.Row("sessions / duration", $"{sessions} / {duration.TotalMinutes:0.#} min");
            section.Row("mix", "turns every ~1 s per session; 1 in 100 a [crash]; 1 in 50 a [flood:2000] stream left after one message");
            section.Row("start", start);
            var workers = list.Select((s, i) => Task.Run(async () =>
            {
                var rng = new Random(i);
                while (!stop.IsCancellationRequested)
                {
                    try
                    {
                        await Task.Delay(500 + rng.Next(1000), stop.Token);
                        var roll = rng.Next(100);
                        if (roll == 0)
                        {
                            Interlocked.Increment(ref crashes);
                            try
                            {
                                await s.FinalTextAsync("[crash] die");
                            }
                            catch (CliCrashedException)
                            {
                            }
                        }
                        else if (roll < 3)
                        {
                            Interlocked.Increment(ref abandons);
                            await foreach (var _ in s.StreamAsync("[flood:2000] go")) break;
                        }
                        else
                        {
                            var answer = await s.FinalTextAsync("What is my name?", new QueryOptions { Timeout = TimeSpan.FromSeconds(60) });
                            if (answer != $"Your name is Soak{i}!") Interlocked.Increment(ref failures);
                        }
                        Interlocked.Increment(ref turns);
                    }
                    catch (OperationCanceledException) when (stop.IsCancellationRequested)
                    {
                        break;
                    }
                    catch (Exception)
                    {
                        Interlocked.Increment(ref failures);
                    }
                }
            })).ToArray();
            var watch = Stopwatch.StartNew();
            while (watch.Elapsed < duration)
            {
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(30, Math.Max(1, (duration - watch.Elapsed).TotalSeconds))));
                Console.WriteLine($"  soak {watch.Elapsed.TotalMinutes:0.0} min: turns {Interlocked.Read(ref turns)}, failures {Interlocked.Read(ref failures)}; {Snapshot(sandbox)}");
            }
            stop.Cancel();
            await Task.WhenAll(workers);
            await Task.Delay(2000);
            var end = Snapshot(sandbox);
            section.Row("end", end);
            section.Row("turns / failures / crashes / abandoned streams", $"{turns} / {failures} / {crashes} / {abandons}");
            section.Expect(failures == 0, $"{failures} failed or wrong turns");
            foreach (var s in list) await s.StopAsync();
        }
        finally
        {
            var left = await TerminateAsync(system, sandbox);
            section.Row("processes left after ActorSystem.Terminate", left);
            section.Expect(left == 0, $"{left} processes outlived the ActorSystem");
        }
    }

    private static string Snapshot(ChaosSandbox sandbox) =>
        $"heap after GC {ChaosStats.Mb(Heap())}, working set {ChaosStats.Mb(ChaosProcesses.WorkingSetBytes())}, fds {ChaosProcesses.OpenFileDescriptors()}, " +
        $"threads {ChaosProcesses.Threads()}, live CLI processes {sandbox.LiveProcesses().Count}";
}
