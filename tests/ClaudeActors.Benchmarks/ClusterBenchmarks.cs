using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster.Sharding;
using ClaudeActors.Client;
using ClaudeActors.Cluster;
using ClaudeActors.Protocol;
using ClaudeActors.Sessions;

namespace ClaudeActors.Benchmarks;

/// <summary>
/// cluster: in-process cluster nodes on loopback, every session on the fake CLI (tests/ClaudeActors.FakeCli).
/// Throughput through the shard region proxy to sessions on another node, managed heap per passivated and per live
/// session, and the time from losing a node to the first answer (from context) on the survivor.
/// Each benchmark has its own 5-minute bound.
/// </summary>
internal static class ClusterBenchmarks
{
    public const string Prompt = "Say exactly: x";
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan QueryTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    public sealed record Settings(int Sessions = 8, int Seconds = 20, int PassivatedCheckpoint = 200, int PassivatedTarget = 10_000,
        int PassivatedCreateSeconds = 170, int Live = 200, int LossRuns = 5, int CreateParallelism = 4, bool PassivatedScriptCli = false)
    {
        /// <summary>The command-line options that give a child process the same settings.</summary>
        public IEnumerable<string> ToArgs() =>
        [
            "--sessions", Sessions.ToString(), "--seconds", Seconds.ToString(), "--passivated", PassivatedTarget.ToString(),
            "--live", Live.ToString(), "--loss-runs", LossRuns.ToString(), "--create-seconds", PassivatedCreateSeconds.ToString(), "--create-parallelism", CreateParallelism.ToString(),
            .. PassivatedScriptCli ? (string[])["--script-cli"] : [],
        ];

        /// <summary>The passivated benchmark's bound: its creation time plus what the rest of it takes.</summary>
        public TimeSpan PassivatedBound => TimeSpan.FromSeconds(Math.Max(Bound.TotalSeconds, PassivatedCreateSeconds + 240));
    }

    public static async Task<List<Row>> RunAsync(Settings settings, string? only, bool child, CancellationToken ct)
    {
        if (!File.Exists(BenchPaths.FakeCli))
            throw new FileNotFoundException("The fake CLI is missing; build it: dotnet build -c Release tests/ClaudeActors.FakeCli", BenchPaths.FakeCli);
        Console.WriteLine($"cluster: fake CLI {BenchPaths.FakeCli}");
        var rows = new List<Row>();
        if (only is null or "throughput") rows.AddRange(await Bounded(ct, t => ThroughputAsync(settings, t)));
        // The memory benchmarks measure the managed heap: each runs in a fresh process (the nodes of the other benchmarks
        // take a while to become garbage), unless this is that process.
        if (only is null or "passivated")
            rows.AddRange(child
                ? await Bounded(ct, t => PassivatedMemoryAsync(settings, t), settings.PassivatedBound)
                : await InChildProcessAsync("passivated", settings, settings.PassivatedBound, ct));
        if (only is null or "live")
            rows.AddRange(child
                ? await Bounded(ct, t => LiveMemoryAsync(settings, t))
                : await InChildProcessAsync("live", settings, Bound, ct));
        if (only is null or "loss")
            foreach (var kind in Enum.GetValues<LossKind>())
                rows.AddRange(await Bounded(ct, t => NodeLossAsync(settings, kind, t)));
        return rows;
    }

    /// <summary>Runs one cluster benchmark in a child process (this harness with --child) and collects its rows.</summary>
    private static async Task<List<Row>> InChildProcessAsync(string which, Settings settings, TimeSpan bound, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(bound + TimeSpan.FromMinutes(1)); // the child has its own bound; this one covers its start and exit
        var processPath = Environment.ProcessPath ?? throw new InvalidOperationException("no process path");
        var info = new ProcessStartInfo(processPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (Path.GetFileNameWithoutExtension(processPath) == "dotnet") info.ArgumentList.Add(typeof(ClusterBenchmarks).Assembly.Location);
        foreach (var arg in new[] { "cluster", "--only", which, "--child" }.Concat(settings.ToArgs())) info.ArgumentList.Add(arg);
        using var process = System.Diagnostics.Process.Start(info) ?? throw new InvalidOperationException("could not start " + processPath);
        var rows = new List<Row>();
        var stderr = Task.Run(async () =>
        {
            while (await process.StandardError.ReadLineAsync() is { } line) Console.Error.WriteLine("  [child] " + line);
        });
        try
        {
            while (await process.StandardOutput.ReadLineAsync(cts.Token) is { } line)
            {
                var parts = line.Split('\t');
                if (parts is ["##ROW", var benchmark, var figure, var load]) rows.Add(new Row(benchmark, figure, load));
                else Console.WriteLine(line);
            }
            await process.WaitForExitAsync(cts.Token);
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        await stderr;
        if (process.ExitCode != 0) throw new InvalidOperationException($"the {which} benchmark's child process exited with {process.ExitCode}");
        return rows;
    }

    private static async Task<List<Row>> Bounded(CancellationToken ct, Func<CancellationToken, Task<List<Row>>> benchmark, TimeSpan? bound = null)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(bound ?? Bound);
        return await benchmark(cts.Token);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 1. Throughput: node A hosts the sessions, node B (no sessions role, a shard region proxy) drives them.

    public static async Task<List<Row>> ThroughputAsync(Settings settings, CancellationToken ct)
    {
        var n = settings.Sessions;
        Console.WriteLine($"cluster throughput: {n} sessions on node A, driven from node B through the proxy, 3 s warm-up + {settings.Seconds} s (load {Load.Now()})");
        var journal = BenchNode.NewJournal();
        try
        {
            await using var sandboxA = new BenchSandbox(BenchNode.NoApi);
            await using var sandboxB = new BenchSandbox(BenchNode.NoApi);
            await using var a = await BenchNode.StartAsync(journal, sandboxA, new ClaudeClusterOptions { HostSessions = true, PassivateIdleAfter = null });
            await using var b = await BenchNode.StartAsync(journal, sandboxB, new ClaudeClusterOptions { HostSessions = false, PassivateIdleAfter = null }, seed: a);

            var sessions = new List<ClaudeSession>();
            for (var i = 0; i < n; i++)
                sessions.Add(await WithTimeout(StartTimeout, ct, t => b.Sessions.StartAsync(new SessionOptions { Name = "tp-" + i }, cancellationToken: t)));
            var onA = sandboxA.LiveProcesses().Count;
            var onB = sandboxB.LiveProcesses().Count;
            Console.WriteLine($"  {n} sessions started from B; CLI processes: node A {onA}, node B {onB}");
            if (onA != n || onB != 0) throw new InvalidOperationException($"expected {n} CLIs on node A and none on node B, got {onA} and {onB}");

            await Drive(sessions, TimeSpan.FromSeconds(3), ct); // warm-up
            var loadStart = Load.Now();
            var cpuBefore = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
            var result = await Drive(sessions, TimeSpan.FromSeconds(settings.Seconds), ct);
            var cpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
            var load = $"{loadStart} -> {Load.Now()}";

            var latency = Stats.Of(result.Latencies);
            var qps = result.Latencies.Count / result.Elapsed.TotalSeconds;
            var mps = result.Messages / result.Elapsed.TotalSeconds;
            Console.WriteLine($"  {result.Latencies.Count} queries in {result.Elapsed.TotalSeconds:F1} s: {qps:F0} queries/s, {mps:F0} messages/s " +
                              $"({result.MinMessages}-{result.MaxMessages} messages/query), latency {latency}; wrong answers {result.Wrong}, failures {result.Failures}; " +
                              $"host process CPU {cpu.TotalMilliseconds / Math.Max(1, result.Latencies.Count):F2} ms/query (both nodes; CLIs excluded)");
            return
            [
                new($"cluster throughput: B -> proxy -> {n} sessions on A", $"{qps:F0} queries/s, {mps:F0} messages/s ({result.MinMessages}-{result.MaxMessages} msg/query)", load),
                new("cluster throughput: per-query latency", $"median {latency.Median:F1} ms, p90 {latency.P90:F1} ms (n={latency.Count}, {n} in flight)", load),
                new("cluster throughput: host CPU (both nodes, no CLI)", $"{cpu.TotalMilliseconds / Math.Max(1, result.Latencies.Count):F2} ms/query; wrong {result.Wrong}, failed {result.Failures}", load),
            ];
        }
        finally
        {
            BenchNode.DeleteJournal(journal);
        }
    }

    private sealed record DriveResult(List<double> Latencies, long Messages, int MinMessages, int MaxMessages, int Wrong, int Failures, TimeSpan Elapsed);

    /// <summary>One query at a time per session, all sessions at once, until <paramref name="duration"/> has passed.</summary>
    private static async Task<DriveResult> Drive(List<ClaudeSession> sessions, TimeSpan duration, CancellationToken ct)
    {
        var latencies = new List<double>();
        long messages = 0;
        int min = int.MaxValue, max = 0, wrong = 0, failures = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(sessions.Select(async session =>
        {
            while (clock.Elapsed < duration)
            {
                var sw = Stopwatch.StartNew();
                var count = 0;
                string? text = null;
                try
                {
                    using var t = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    t.CancelAfter(QueryTimeout);
                    await foreach (var message in session.StreamAsync(Prompt, null, t.Token))
                    {
                        count++;
                        if (message is ResultMessage result) text = result.Result;
                    }
                }
                catch (ClaudeSessionException)
                {
                    Interlocked.Increment(ref failures);
                    continue;
                }
                var ms = sw.Elapsed.TotalMilliseconds;
                lock (latencies)
                {
                    latencies.Add(ms);
                    messages += count;
                    min = Math.Min(min, count);
                    max = Math.Max(max, count);
                    if (text != "x") wrong++;
                }
            }
        }));
        return new DriveResult(latencies, messages, min == int.MaxValue ? 0 : min, max, wrong, failures, clock.Elapsed);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 2a. Managed heap per passivated (known) session.

    public static async Task<List<Row>> PassivatedMemoryAsync(Settings settings, CancellationToken ct)
    {
        Console.WriteLine($"cluster memory, passivated: one node; sessions with one turn each, passivated; heap at K={settings.PassivatedCheckpoint} and at " +
                          $"the largest K up to {settings.PassivatedTarget} that {settings.PassivatedCreateSeconds} s of creation allow, {settings.CreateParallelism} at a time (load {Load.Now()})");
        var journal = BenchNode.NewJournal();
        var rows = new List<Row>();
        try
        {
            await using var sandbox = new BenchSandbox(BenchNode.NoApi);
            var cli = settings.PassivatedScriptCli ? ScriptCli.Write(sandbox.Root) : null;
            if (cli is not null) Console.WriteLine($"  CLI: {cli} (bash, starts in milliseconds)");
            await using var node = await BenchNode.StartAsync(journal, sandbox, new ClaudeClusterOptions { HostSessions = true, PassivateIdleAfter = null },
                cliPath: cli);

            const int warm = 20;
            await CreateAsync(node, "warm-", 0, warm, settings.CreateParallelism, passivate: true, TimeSpan.MaxValue, ct);
            await QuiesceAsync(node, warm, ct);
            var baseline = Heap();
            var workingSetBaseline = WorkingSet();
            Console.WriteLine($"  baseline after {warm} warm-up sessions (passivated): heap {baseline / 1e6:F1} MB, working set {workingSetBaseline / 1e6:F0} MB (load {Load.Now()})");

            var clock = Stopwatch.StartNew();
            var creationBudget = TimeSpan.FromSeconds(settings.PassivatedCreateSeconds);
            var k = 0;
            (int K, long Heap)? previous = null;
            foreach (var target in new[] { settings.PassivatedCheckpoint, settings.PassivatedTarget }.Distinct())
            {
                if (k >= target || (k > 0 && clock.Elapsed >= creationBudget)) break;
                var loadBefore = Load.Now();
                var phase = Stopwatch.StartNew();
                var made = await CreateAsync(node, "p-", k, target, settings.CreateParallelism, passivate: true, creationBudget - clock.Elapsed, ct);
                k += made;
                var rate = made / phase.Elapsed.TotalSeconds;
                await QuiesceAsync(node, warm + k, ct);
                var heap = Heap();
                var perSession = (heap - baseline) / (double)k;
                var (journalRows, snapshotRows) = BenchNode.TableRows(journal);
                var journalBytes = new FileInfo(journal).Length;
                var load = $"{loadBefore} -> {Load.Now()}";
                Console.WriteLine($"  K={k} passivated ({made} created at {rate:F1}/s): heap {heap / 1e6:F1} MB, +{(heap - baseline) / 1e6:F2} MB = {perSession:F0} B/session; " +
                                  $"working set +{(WorkingSet() - workingSetBaseline) / 1e6:F0} MB; journal {journalRows} rows ({journalRows / (double)(k + warm):F1}/session), " +
                                  $"snapshots {snapshotRows}, SQLite file {journalBytes / 1e6:F1} MB ({journalBytes / (double)(k + warm) / 1e3:F1} kB/session); load {load}");
                var marginal = previous is { } p && k > p.K ? $"; marginal K={p.K}->{k}: {(heap - p.Heap) / (double)(k - p.K):F0} B/session" : "";
                if (marginal.Length > 0) Console.WriteLine("  " + marginal[2..]);
                previous = (k, heap);
                rows.Add(new($"cluster memory: per passivated session, K={k}" + (k < settings.PassivatedTarget && target == settings.PassivatedTarget ? $" (target {settings.PassivatedTarget} not reached in {settings.PassivatedCreateSeconds} s)" : ""),
                    $"{perSession:F0} B managed heap/session (+{(heap - baseline) / 1e6:F2} MB); journal {journalRows / (double)(k + warm):F1} rows, {journalBytes / (double)(k + warm) / 1e3:F1} kB/session; created {rate:F1}/s{marginal}", load));
            }
        }
        finally
        {
            BenchNode.DeleteJournal(journal);
        }
        return rows;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 2b. Managed heap per live idle session (the CLI process is not counted).

    public static async Task<List<Row>> LiveMemoryAsync(Settings settings, CancellationToken ct)
    {
        var k = settings.Live;
        Console.WriteLine($"cluster memory, live: one node, {k} live idle sessions (one turn each) (load {Load.Now()})");
        var journal = BenchNode.NewJournal();
        try
        {
            await using var sandbox = new BenchSandbox(BenchNode.NoApi);
            await using var node = await BenchNode.StartAsync(journal, sandbox,
                new ClaudeClusterOptions { HostSessions = true, PassivateIdleAfter = null, MaxLiveCliProcesses = k + 50 });

            const int warm = 10;
            await CreateAsync(node, "warm-", 0, warm, settings.CreateParallelism, passivate: false, TimeSpan.MaxValue, ct);
            for (var i = 0; i < warm; i++) await node.Sessions.TerminateAsync(SessionName("warm-", i), ct);
            await WaitUntil(() => sandbox.LiveProcesses().Count == 0, TimeSpan.FromSeconds(60), ct);
            await Task.Delay(1000, ct);
            var baseline = Heap();
            var workingSetBaseline = WorkingSet();
            var loadBefore = Load.Now();

            // Two checkpoints (K/4 and K): the slope between them leaves out one-off costs.
            var made = 0;
            var heapAt = new List<(int K, long Heap, long WorkingSet)>();
            foreach (var target in new[] { Math.Max(1, k / 4), k }.Distinct())
            {
                made += await CreateAsync(node, "live-", made, target, settings.CreateParallelism, passivate: false, TimeSpan.FromSeconds(120), ct);
                if (made < target) Console.WriteLine($"  only {made} of {target} sessions were created in time");
                await WaitUntil(() => sandbox.LiveProcesses().Count >= made, TimeSpan.FromSeconds(60), ct);
                await Task.Delay(2000, ct);
                heapAt.Add((made, Heap(), WorkingSet()));
                Console.WriteLine($"  K={made} live: heap +{(heapAt[^1].Heap - baseline) / 1e6:F2} MB = {(heapAt[^1].Heap - baseline) / (double)made:F0} B/session (load {Load.Now()})");
            }
            var (kk, heap, workingSet) = heapAt[^1];
            var pids = sandbox.LiveProcesses();
            var cliRss = pids.Select(ReadKb("VmRSS")).Where(x => x > 0).DefaultIfEmpty(0).Average();
            var cliPss = pids.Select(Pss).Where(x => x > 0).DefaultIfEmpty(0).Average();
            var perSession = (heap - baseline) / (double)kk;
            var marginal = heapAt.Count > 1 && kk > heapAt[0].K ? (heap - heapAt[0].Heap) / (double)(kk - heapAt[0].K) : double.NaN;
            var load = $"{loadBefore} -> {Load.Now()}";
            Console.WriteLine($"  K={kk} live: heap +{(heap - baseline) / 1e6:F2} MB = {perSession:F0} B/session (marginal K={heapAt[0].K}->{kk}: {marginal:F0} B/session); " +
                              $"host working set +{(workingSet - workingSetBaseline) / 1e6:F0} MB = {(workingSet - workingSetBaseline) / (double)kk / 1e3:F0} kB/session; " +
                              $"{pids.Count} CLI processes, {cliRss / 1e3:F1} MB RSS, {cliPss / 1e3:F1} MB Pss each (not counted); load {load}");
            return
            [
                new($"cluster memory: per live idle session, K={kk} (actor side)",
                    $"{perSession:F0} B managed heap/session (marginal K={heapAt[0].K}->{kk}: {marginal:F0} B); host working set {(workingSet - workingSetBaseline) / (double)kk / 1e3:F0} kB/session; " +
                    $"CLI not counted ({cliPss / 1e3:F1} MB Pss, {cliRss / 1e3:F1} MB RSS each)", load),
            ];
        }
        finally
        {
            BenchNode.DeleteJournal(journal);
        }
    }

    private static string SessionName(string prefix, int i) => prefix + i.ToString("D5");

    /// <summary>Creates sessions prefix+[from, to) with one turn each, <paramref name="parallelism"/> at a time, until done or <paramref name="budget"/> is spent.</summary>
    private static async Task<int> CreateAsync(BenchNode node, string prefix, int from, int to, int parallelism, bool passivate, TimeSpan budget, CancellationToken ct)
    {
        var next = from - 1;
        var made = 0;
        var clock = Stopwatch.StartNew();
        var lastReport = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, parallelism).Select(async _ =>
        {
            while (clock.Elapsed < budget)
            {
                var i = Interlocked.Increment(ref next);
                if (i >= to) return;
                var name = SessionName(prefix, i);
                var session = await WithTimeout(StartTimeout, ct, t => node.Sessions.StartAsync(new SessionOptions { Name = name }, cancellationToken: t));
                var text = await WithTimeout(QueryTimeout, ct, t => session.FinalTextAsync(Prompt, null, t));
                if (text != "x") throw new InvalidOperationException($"{name}: unexpected answer '{text}'");
                if (passivate) node.Region.Tell(new ShardingEnvelope(name, PassivateSessionEntity.Instance));
                var total = Interlocked.Increment(ref made);
                if (lastReport.Elapsed > TimeSpan.FromSeconds(15))
                {
                    lastReport.Restart();
                    Console.WriteLine($"    {total} created in {clock.Elapsed.TotalSeconds:F0} s ({total / clock.Elapsed.TotalSeconds:F1}/s), load {Load.Now()}");
                }
            }
        }));
        return made;
    }

    /// <summary>Waits until no CLI runs and the directory lists <paramref name="expected"/> passivated sessions.</summary>
    private static async Task QuiesceAsync(BenchNode node, int expected, CancellationToken ct)
    {
        var passivated = 0;
        var ok = await WaitUntil(() =>
        {
            if (node.Sandbox.LiveProcesses().Count > 0) return false;
            passivated = node.Client.ListDirectoryAsync(ct).GetAwaiter().GetResult().Count(e => e.Passivated);
            return passivated >= expected;
        }, TimeSpan.FromSeconds(90), ct);
        if (!ok) Console.WriteLine($"  (not quiet after 90 s: {node.Sandbox.LiveProcesses().Count} CLIs live, {passivated}/{expected} passivated in the directory)");
        await Task.Delay(2000, ct);
    }

    private static long Heap()
    {
        System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
        for (var i = 0; i < 3; i++)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private static long WorkingSet()
    {
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        return self.WorkingSet64;
    }

    private static Func<int, long> ReadKb(string field) => pid =>
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith(field + ":", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            return 0;
        }
    };

    private static long Pss(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/smaps_rollup").FirstOrDefault(l => l.StartsWith("Pss:", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            return 0;
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 3. Node loss: the time from stopping the node that hosts a session to its first answer from context on the survivor.

    public enum LossKind
    {
        /// <summary>host.StopAsync(): coordinated shutdown, the node leaves and hands its shards off.</summary>
        Graceful,

        /// <summary>ActorSystem.Terminate() without coordinated shutdown (never leaves), then Down from the survivor at once.</summary>
        Hard,

        /// <summary>As <see cref="Hard"/>, with akka.cluster.down-removal-margin = 1s on both nodes (a diagnostic).</summary>
        HardShortRemovalMargin,
    }

    public static async Task<List<Row>> NodeLossAsync(Settings settings, LossKind kind, CancellationToken ct)
    {
        Console.WriteLine($"cluster node loss, {kind}: 2 session-hosting nodes sharing one SQLite journal; the session lives on the younger node B, " +
                          $"which is stopped; a client on A asks every 200 ms (load {Load.Now()})");
        var loadBefore = Load.Now();
        var times = new List<double>();
        var gaps = new List<double>();
        var stops = new List<double>();
        var notes = new List<string>();
        // The diagnostic kind only explains the hard figure: fewer runs.
        var runs = kind is LossKind.HardShortRemovalMargin ? Math.Min(3, settings.LossRuns) : settings.LossRuns;
        for (var run = 0; run < runs; run++)
        {
            var r = await LoseOneAsync(kind, run, ct);
            Console.WriteLine($"  {kind} {run + 1}/{runs}: first answer from context on the survivor {r.FirstSurvivorMs:F0} ms after the stop began; " +
                              $"longest gap between answers {r.MaxGapMs:F0} ms ({r.AnsweredByLost} answered by B meanwhile); the stop took {r.StopMs:F0} ms; " +
                              $"{r.Attempts} attempts, {r.Failed} failed/cancelled, {r.Wrong} without context; load {Load.Now()}");
            if (double.IsNaN(r.FirstSurvivorMs)) notes.Add($"run {run + 1}: no answer from context within 90 s");
            else
            {
                times.Add(r.FirstSurvivorMs);
                gaps.Add(r.MaxGapMs);
            }
            if (r.Wrong > 0) notes.Add($"run {run + 1}: {r.Wrong} answers without context");
            if (kind is LossKind.Graceful && r.StopMs > 5000) notes.Add($"run {run + 1}: the stop took {r.StopMs / 1000:F1} s");
            stops.Add(r.StopMs);
        }
        var stats = Stats.Of(times);
        var gap = Stats.Of(gaps);
        var stopStats = Stats.Of(stops);
        var load = $"{loadBefore} -> {Load.Now()}";
        var what = kind switch
        {
            LossKind.Graceful => "graceful (host.StopAsync: leave + hand-off)",
            LossKind.Hard => "hard (Terminate without leaving, Down from the survivor at once)",
            _ => "hard, down-removal-margin = 1s (diagnostic)",
        };
        return
        [
            new($"cluster node loss, {what}: stop -> first answer from context on the survivor",
                $"median {stats.Median:F0} ms, min {stats.Min:F0}, max {stats.Max:F0} (n={stats.Count}); longest client-visible gap median {gap.Median:F0} ms; " +
                $"stop call median {stopStats.Median:F0} ms" + (notes.Count > 0 ? "; " + string.Join("; ", notes) : ""), load),
        ];
    }

    private sealed record LossResult(double FirstSurvivorMs, double MaxGapMs, int AnsweredByLost, double StopMs, int Attempts, int Failed, int Wrong);

    private static async Task<LossResult> LoseOneAsync(LossKind kind, int run, CancellationToken ct)
    {
        var hard = kind is not LossKind.Graceful;
        var extraHocon = kind is LossKind.HardShortRemovalMargin ? "akka.cluster.down-removal-margin = 1s\n" : null;
        var journal = BenchNode.NewJournal();
        try
        {
            await using var sandboxA = new BenchSandbox(BenchNode.NoApi);
            await using var sandboxB = new BenchSandbox(BenchNode.NoApi);
            var options = new ClaudeClusterOptions { HostSessions = true, PassivateIdleAfter = null };
            await using var a = await BenchNode.StartAsync(journal, sandboxA, options, hardStoppable: hard, extraHocon: extraHocon);
            // Same working directory (the transcript's project folder), separate HOME and CLAUDE_CONFIG_DIR. B is the one
            // that goes: in the hard kinds its log is silenced (a terminated system complains that remoting is gone).
            await using var b = await BenchNode.StartAsync(journal, sandboxB, options, seed: a, workingDirectory: sandboxA.WorkDir,
                hardStoppable: hard, extraHocon: extraHocon, quiet: hard);

            // Place the session on B, the younger node: the shard coordinator (a singleton on the oldest node, A) stays put.
            string? name = null;
            ClaudeSession? session = null;
            var elsewhere = new List<string>();
            for (var j = 0; j < 20 && name is null; j++)
            {
                var candidate = $"loss-{run}-{j}";
                var started = await WithTimeout(StartTimeout, ct, t => a.Sessions.StartAsync(new SessionOptions { Name = candidate }, cancellationToken: t));
                var entry = await WaitForEntry(a, candidate, ct);
                if (entry.Node == b.Address.ToString())
                {
                    name = candidate;
                    session = started;
                }
                else elsewhere.Add(candidate);
            }
            if (name is null || session is null) throw new InvalidOperationException("no session landed on node B in 20 tries");
            // No CLI may run on A before the session moves there: that is how an answer is known to come from the survivor.
            foreach (var other in elsewhere) await a.Sessions.TerminateAsync(other, ct);
            if (!await WaitUntil(() => sandboxA.LiveProcesses().Count == 0, TimeSpan.FromSeconds(20), ct))
                throw new InvalidOperationException("a CLI still runs on node A");
            var said = await WithTimeout(QueryTimeout, ct, t => session.FinalTextAsync("Remember: the code is 4242", null, t));
            if (said != "OK, I will remember the code.") throw new InvalidOperationException("unexpected answer: " + said);
            // Created + session id + the turn's transcript lines must be in the journal before the node goes.
            if (!await WaitUntil(() => BenchNode.JournalRows(journal, "claude-session-" + name) >= 3, TimeSpan.FromSeconds(20), ct))
                throw new InvalidOperationException("the turn's transcript did not reach the journal");

            var survivorRegion = a.Region;
            var lostAddress = b.Address;
            var attempts = new List<Task>();
            int launched = 0, failed = 0, wrong = 0, byLost = 0;
            var answers = new List<double>();
            var firstOnSurvivor = new TaskCompletionSource<double>(TaskCreationOptions.RunContinuationsAsynchronously);
            using var attemptsCts = CancellationTokenSource.CreateLinkedTokenSource(ct);

            var stopMs = double.NaN;
            if (Environment.GetEnvironmentVariable("CA_BENCH_TRACE_SHUTDOWN") == "1") Console.WriteLine($"    {DateTime.UtcNow:HH:mm:ss.fff} stop begins");
            var clock = Stopwatch.StartNew();
            Task stop;
            if (hard)
            {
                await b.HardStopAsync().WaitAsync(TimeSpan.FromSeconds(30), ct);
                stopMs = clock.Elapsed.TotalMilliseconds;
                Akka.Cluster.Cluster.Get(a.System).Down(lostAddress);
                stop = Task.CompletedTask;
            }
            else
            {
                stop = b.StopAsync().ContinueWith(_ => stopMs = clock.Elapsed.TotalMilliseconds, TaskScheduler.Default);
            }

            // A client on the survivor keeps asking: a new attempt every 200 ms until the survivor answers; each waits up
            // to 30 s. An answer is the survivor's when a CLI runs in A's sandbox (none did before the stop).
            async Task Attempt()
            {
                using var t = CancellationTokenSource.CreateLinkedTokenSource(attemptsCts.Token);
                t.CancelAfter(QueryTimeout);
                try
                {
                    var text = await new ClusterSessions(a.System, survivorRegion).Handle(name).FinalTextAsync("What was the code?", null, t.Token);
                    var at = clock.Elapsed.TotalMilliseconds;
                    if (text != "The code is 4242.")
                    {
                        Interlocked.Increment(ref wrong);
                        return;
                    }
                    lock (answers) answers.Add(at);
                    if (Environment.GetEnvironmentVariable("CA_BENCH_TRACE_SHUTDOWN") == "1") Console.WriteLine($"    {DateTime.UtcNow:HH:mm:ss.fff} answer");
                    if (sandboxA.LiveProcesses().Count > 0) firstOnSurvivor.TrySetResult(at);
                    else Interlocked.Increment(ref byLost);
                }
                catch (Exception)
                {
                    Interlocked.Increment(ref failed);
                }
            }

            var deadline = TimeSpan.FromSeconds(90);
            while (!firstOnSurvivor.Task.IsCompleted && clock.Elapsed < deadline)
            {
                launched++;
                attempts.Add(Attempt());
                await Task.WhenAny(firstOnSurvivor.Task, Task.Delay(200, ct));
            }
            var firstMs = firstOnSurvivor.Task.IsCompleted ? await firstOnSurvivor.Task : double.NaN;
            try
            {
                await stop.WaitAsync(TimeSpan.FromSeconds(60), ct);
            }
            catch (TimeoutException)
            {
            }
            await attemptsCts.CancelAsync();
            await Task.WhenAll(attempts);
            double maxGap;
            lock (answers)
            {
                var points = new List<double> { 0 };
                points.AddRange(answers.Where(x => x <= firstMs).Order());
                maxGap = double.IsNaN(firstMs) ? double.NaN : points.Zip(points.Skip(1), (x, y) => y - x).DefaultIfEmpty(firstMs).Max();
            }
            return new LossResult(firstMs, maxGap, byLost, stopMs, launched, failed, wrong);
        }
        finally
        {
            BenchNode.DeleteJournal(journal);
        }
    }

    private static async Task<SessionDirectoryEntry> WaitForEntry(BenchNode node, string name, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var entry = (await node.Client.ListDirectoryAsync(ct)).FirstOrDefault(e => e.Name == name);
            if (entry is not null) return entry;
            if (deadline.Elapsed > TimeSpan.FromSeconds(20)) throw new TimeoutException($"{name} never appeared in the directory");
            await Task.Delay(100, ct);
        }
    }

    private static async Task<bool> WaitUntil(Func<bool> condition, TimeSpan timeout, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (condition()) return true;
            await Task.Delay(250, ct);
        }
        return condition();
    }

    private static async Task<T> WithTimeout<T>(TimeSpan timeout, CancellationToken ct, Func<CancellationToken, Task<T>> action)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            return await action(cts.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"No answer within {timeout.TotalSeconds:F0} s.");
        }
    }
}
