// A plain benchmark harness (not part of the test run). Usage:
//   dotnet run -c Release --project tests/ClaudeActors.Benchmarks -- [all|turn|start|parse|cluster|trace|coldstart|api|density] [--iterations N] [--fake-cli]
//     density options: [--sessions N] [--turns T] [--grow MIB] [--limit-mib MIB] [--budget-mib MIB] [--real-cli] (not part of "all")
//     coldstart: build tests/ClaudeActors.ColdStart in the same configuration first; api: only the fake API, its URL on stdout
//     cluster options: [--sessions N] [--seconds S] [--passivated K] [--create-seconds S] [--create-parallelism P] [--script-cli]
//                      [--live K] [--loss-runs R] [--only throughput|passivated|live|loss]
//     (the memory benchmarks run in a child process of their own, started with --child, for a clean managed heap)
// Everything runs on loopback against a FakeMessagesApi (turn, start) or the fake CLI (cluster); every CLI it starts
// is killed before it exits.
using System.Diagnostics;
using Process = System.Diagnostics.Process;
using Akka.Actor;
using ClaudeActors.Benchmarks;
using ClaudeActors.Testing;

var command = "all";
int? iterations = null;
var cluster = new ClusterBenchmarks.Settings();
string? only = null;
var child = false;
var density = new DensityBenchmark.Settings();
int? sessionsFlag = null;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--turns" when i + 1 < args.Length && int.TryParse(args[i + 1], out var v) && v > 0:
            density = density with { Turns = v };
            i++;
            break;
        case "--grow" when i + 1 < args.Length && int.TryParse(args[i + 1], out var v) && v >= 0:
            density = density with { GrowMiB = v };
            i++;
            break;
        case "--limit-mib" when i + 1 < args.Length && int.TryParse(args[i + 1], out var v) && v > 0:
            density = density with { LimitMiB = v };
            i++;
            break;
        case "--budget-mib" when i + 1 < args.Length && int.TryParse(args[i + 1], out var v) && v > 0:
            density = density with { BudgetMiB = v };
            i++;
            break;
        case "all" or "turn" or "start" or "parse" or "cluster" or "trace" or "coldstart" or "api" or "density":
            command = args[i];
            break;
        case "--iterations" or "-n" when i + 1 < args.Length && int.TryParse(args[i + 1], out var n) && n > 0:
            iterations = n;
            i++;
            break;
        case "--sessions" when i + 1 < args.Length && int.TryParse(args[i + 1], out var v) && v > 0:
            cluster = cluster with { Sessions = v };
            sessionsFlag = v;
            i++;
            break;
        case "--seconds" when i + 1 < args.Length && int.TryParse(args[i + 1], out var v) && v > 0:
            cluster = cluster with { Seconds = v };
            i++;
            break;
        case "--passivated" when i + 1 < args.Length && int.TryParse(args[i + 1], out var v) && v > 0:
            cluster = cluster with { PassivatedTarget = v, PassivatedCheckpoint = Math.Min(cluster.PassivatedCheckpoint, v) };
            i++;
            break;
        case "--live" when i + 1 < args.Length && int.TryParse(args[i + 1], out var v) && v > 0:
            cluster = cluster with { Live = v };
            i++;
            break;
        case "--loss-runs" when i + 1 < args.Length && int.TryParse(args[i + 1], out var v) && v > 0:
            cluster = cluster with { LossRuns = v };
            i++;
            break;
        case "--create-seconds" when i + 1 < args.Length && int.TryParse(args[i + 1], out var v) && v > 0:
            cluster = cluster with { PassivatedCreateSeconds = v };
            i++;
            break;
        case "--create-parallelism" when i + 1 < args.Length && int.TryParse(args[i + 1], out var v) && v > 0:
            cluster = cluster with { CreateParallelism = v };
            i++;
            break;
        case "--script-cli":
            cluster = cluster with { PassivatedScriptCli = true };
            break;
        case "--only" when i + 1 < args.Length && args[i + 1] is "throughput" or "passivated" or "live" or "loss":
            only = args[i + 1];
            i++;
            break;
        case "--real-cli":
            density = density with { RealCli = true };
            break;
        case "--fake-cli":
            BenchPaths.SessionCli = BenchPaths.FakeCli;
            break;
        case "--child":
            child = true;
            break;
        case "--no-session-mirror":
            // Cluster sessions journal from the transcript file after each turn, as before --session-mirror (for a before/after).
            ClaudeActors.Cluster.SessionEntity.SessionMirror = false;
            Environment.SetEnvironmentVariable("CLAUDE_ACTORS_SESSION_MIRROR", "0"); // and in child nodes
            break;
        default:
            Console.Error.WriteLine("usage: ClaudeActors.Benchmarks [all|turn|start|parse|cluster|trace|coldstart|api|density] [--iterations N] [--turns T] [--grow MIB] [--limit-mib MIB] [--budget-mib MIB] " +
                                    "[--sessions N] [--seconds S] [--passivated K] [--create-seconds S] [--create-parallelism P] [--script-cli] [--live K] [--loss-runs R] " +
                                    "[--only throughput|passivated|live|loss] [--fake-cli] [--no-session-mirror]");
            return 2;
    }
}

// Bounded: the whole run is cancelled after 20 minutes (45 with the cluster group, whose every benchmark also has its
// own 5-minute bound), or on Ctrl+C.
using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(command is "all" or "cluster" ? 45 : 20));
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cts.Cancel();
};
AppDomain.CurrentDomain.ProcessExit += (_, _) => BenchSandbox.KillAllNow();

var rows = new List<Row>();
var started = DateTimeOffset.Now;
var clock = Stopwatch.StartNew();
Console.WriteLine($"ClaudeActors benchmarks: {command}, {DateTimeOffset.Now:yyyy-MM-dd HH:mm zzz}, {Environment.ProcessorCount} cores, " +
                  $".NET {Environment.Version}, load {Load.Now()}");
string? cliVersion = null;
try
{
    if (command is "all" or "parse")
        rows.AddRange(ParseBenchmark.Run(cts.Token));

    if (command is "all" or "turn" or "start" or "trace")
    {
        if (!File.Exists(BenchPaths.SessionCli))
        {
            Console.Error.WriteLine("The CLI is missing: " + BenchPaths.SessionCli + " (build src/ClaudeActors once: it runs npm ci; the fake one: build tests/ClaudeActors.FakeCli).");
            return 3;
        }
        await using var api = await FakeMessagesApi.StartAsync(cts.Token);
        cliVersion = await CliVersionAsync(api, cts.Token);
        Console.WriteLine($"CLI {BenchPaths.SessionCli}: {cliVersion}; fake API {api.BaseUrl}");
        var system = ActorSystem.Create("bench", "akka.loglevel = WARNING\nakka.stdout-loglevel = WARNING");
        try
        {
            if (command is "all" or "turn")
                rows.AddRange(await SessionBenchmarks.TurnAsync(system, api, iterations ?? 30, cts.Token));
            if (command is "all" or "start")
                rows.AddRange(await SessionBenchmarks.StartAsync(system, api, iterations ?? 10, cts.Token));
            if (command is "all" or "trace")
                rows.AddRange(await TurnTraceBenchmark.RunAsync(system, api, iterations ?? 30, cts.Token));
        }
        finally
        {
            await system.Terminate().WaitAsync(TimeSpan.FromSeconds(30));
        }
    }

    if (command is "all" or "coldstart")
    {
        await using var api = await FakeMessagesApi.StartAsync(cts.Token);
        rows.AddRange(await ColdStartBenchmark.RunAsync(api, iterations ?? 10, cts.Token));
    }

    if (command is "api")
    {
        // For timing the cold-start child from outside: the fake API until stdin closes (or the time bound).
        await using var api = await FakeMessagesApi.StartAsync(cts.Token);
        Console.WriteLine(api.BaseUrl);
        await Console.In.ReadToEndAsync(cts.Token);
        return 0;
    }

    if (command is "all" or "cluster")
        rows.AddRange(await ClusterBenchmarks.RunAsync(cluster, only, child, cts.Token));

    if (command is "density")
        rows.AddRange(await DensityBenchmark.RunAsync(sessionsFlag is { } ds ? density with { Sessions = ds } : density, cts.Token));
}
catch (OperationCanceledException) when (cts.IsCancellationRequested)
{
    Console.Error.WriteLine("Cancelled (Ctrl+C or the time bound).");
    BenchSandbox.KillAllNow();
    return 1;
}
catch (Exception ex)
{
    Console.Error.WriteLine("Benchmark failed: " + ex);
    BenchSandbox.KillAllNow();
    return 1;
}

if (child)
{
    // For the parent (ClusterBenchmarks.InChildProcessAsync): one machine-readable line per row.
    foreach (var row in rows) Console.WriteLine($"##ROW\t{row.Benchmark}\t{row.Figure}\t{row.Load}");
    return 0;
}

Console.WriteLine();
Console.WriteLine($"Results ({started:yyyy-MM-dd HH:mm zzz}, {Environment.ProcessorCount} cores, .NET {Environment.Version}" +
                  (cliVersion is null ? "" : ", claude " + cliVersion) + $", run took {clock.Elapsed.TotalSeconds:F0} s)");
var w1 = Math.Max("benchmark".Length, rows.Count == 0 ? 0 : rows.Max(r => r.Benchmark.Length));
var w2 = Math.Max("figure".Length, rows.Count == 0 ? 0 : rows.Max(r => r.Figure.Length));
Console.WriteLine($"| {"benchmark".PadRight(w1)} | {"figure".PadRight(w2)} | load 1/5/15 min (before -> after) |");
Console.WriteLine($"|{new string('-', w1 + 2)}|{new string('-', w2 + 2)}|-----------------------------------|");
foreach (var row in rows)
    Console.WriteLine($"| {row.Benchmark.PadRight(w1)} | {row.Figure.PadRight(w2)} | {row.Load} |");
return 0;

// `claude --version` in its own sandbox, bounded to 30 s.
static async Task<string> CliVersionAsync(FakeMessagesApi api, CancellationToken ct)
{
    await using var sandbox = new BenchSandbox(api.BaseUrl);
    var info = new ProcessStartInfo(BenchPaths.SessionCli, "--version")
    {
        RedirectStandardOutput = true,
        RedirectStandardError = true,
        UseShellExecute = false,
        WorkingDirectory = sandbox.WorkDir,
    };
    foreach (var (key, value) in sandbox.Environment) info.Environment[key] = value;
    using var process = Process.Start(info)!;
    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
    timeout.CancelAfter(TimeSpan.FromSeconds(30));
    try
    {
        var output = await process.StandardOutput.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        return output.Trim();
    }
    catch (OperationCanceledException)
    {
        return "unknown";
    }
    finally
    {
        if (!process.HasExited) process.Kill(entireProcessTree: true);
    }
}
