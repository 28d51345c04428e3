using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Akka.Cluster.Hosting;
using Akka.Cluster.Hosting.SBR;
using Akka.Hosting;
using Akka.Remote.Hosting;
using ClaudeActors.Client;
using ClaudeActors.Cluster;
using ClaudeActors.Hosting;
using ClaudeActors.Testing;
using ClaudeActors.Tests.Chaos;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SysProcess = System.Diagnostics.Process;

namespace ClaudeActors.Chaos;

/// <summary>
/// <c>failover --runs N [--fake]</c>: three <c>claude-actors node</c> processes on loopback sharing a PostgreSQL
/// journal, and a client node in this process. Each run starts a session, tells it a name, SIGKILLs the node hosting
/// it and measures the time from the kill to the first answer from its context on a survivor (the client asks
/// again as soon as a query fails); then a fresh node replaces the killed one.
/// </summary>
public static partial class Failover
{
    private const string SystemName = "claude-actors";

    public static async Task RunAsync(Section section, CampaignOptions options)
    {
        var runs = options.Runs ?? 10;
        var hostDll = ChaosPaths.HostDll ?? throw new InvalidOperationException("The host is not built (build src/ClaudeActors.Host in this configuration).");
        var cli = options.Fake ? ChaosPaths.FakeCli : ChaosPaths.RealCli;
        var pg = Environment.GetEnvironmentVariable("CLAUDE_ACTORS_TEST_PG") is { Length: > 0 } configured ? configured : await StartPostgresAsync();
        section.Row("setup", $"3 host processes (node, PostgreSQL journal), a client node in this process; {(options.Fake ? "fake" : "real")} CLI, FakeMessagesApi; {runs} runs");

        await using var api = await FakeMessagesApi.StartAsync();
        var work = Directory.CreateTempSubdirectory("ca-chaos-fo-work-").FullName;
        var nodes = new List<HostNode>();
        IHost? client = null;
        var answers = new List<double>();
        var told = new List<double>();
        var cliGone = new List<double>();
        try
        {
            for (var i = 0; i < 3; i++) nodes.Add(await HostNode.StartAsync(hostDll, cli, api.BaseUrl, pg, work, nodes.Select(n => n.Address).ToList()));
            client = await StartClientAsync(nodes.Select(n => n.Address).ToList());
            var sessions = client.Services.GetRequiredService<IClaudeSessions>();
            var directory = (ClaudeSessionsClient)sessions;

            for (var run = 0; run < runs; run++)
            {
                var name = $"fo-{run}-{Guid.NewGuid().ToString("N")[..6]}";
                var session = await sessions.StartAsync(new SessionOptions { Name = name });
                var first = await session.FinalTextAsync($"My name is User{run}");
                if (first != $"Nice to meet you, User{run}.") section.Fail($"run {run}: the first answer was '{first}'");
                var node = await WaitForAsync(async () =>
                    (await directory.ListDirectoryAsync()).SingleOrDefault(e => e.Name == name && e.Node.Length > 0)?.Node, TimeSpan.FromSeconds(20));
                var victim = nodes.SingleOrDefault(n => n.Address == node);
                if (victim is null)
                {
                    section.Fail($"run {run}: the session's node {node} is not one of the host processes");
                    break;
                }
                var cliBefore = victim.Sandbox.LiveProcesses(victim.Process.Id).Count;

                var clock = Stopwatch.StartNew();
                victim.Process.Kill(); // SIGKILL to the node process only: its CLI dies by the parent-death signal
                nodes.Remove(victim);
                var cliWatch = Task.Run(async () =>
                {
                    await ChaosProcesses.WaitUntilAsync(() => victim.Sandbox.LiveProcesses().Count == 0, TimeSpan.FromSeconds(10), 5);
                    return clock.Elapsed.TotalSeconds;
                });
                double? toldAt = null;
                string? answer = null;
                var failures = new Dictionary<FailureKind, int>();
                while (clock.Elapsed < TimeSpan.FromSeconds(90))
                {
                    try
                    {
                        answer = await session.FinalTextAsync("What is my name?", new QueryOptions { Timeout = TimeSpan.FromSeconds(30) });
                        break;
                    }
                    catch (ClaudeSessionException ex)
                    {
                        if (ex.Failure.Kind == FailureKind.NodeUnreachable) toldAt ??= clock.Elapsed.TotalSeconds;
                        failures[ex.Failure.Kind] = failures.GetValueOrDefault(ex.Failure.Kind) + 1;
                        await Task.Delay(100);
                    }
                }
                var seconds = clock.Elapsed.TotalSeconds;
                var gone = await cliWatch;
                if (answer != $"Your name is User{run}!")
                {
                    section.Fail($"run {run}: after {seconds:0.0} s the answer was '{answer ?? "(none)"}'");
                    continue;
                }
                answers.Add(seconds);
                if (toldAt is { } t) told.Add(t);
                cliGone.Add(gone);
                var failed = string.Join(", ", failures.Select(f => $"{f.Value}× {f.Key}"));
                Console.WriteLine($"  run {run}: answered from context {seconds:0.0} s after the SIGKILL (victim {victim.Address}, {cliBefore} CLI; " +
                                  $"its CLI gone after {gone * 1000:0} ms; caller told after {(toldAt is { } tt ? tt.ToString("0.0", CultureInfo.InvariantCulture) + " s" : "—")}; failed asks: {(failed.Length > 0 ? failed : "none")}); load {Program.Load()}");
                await sessions.TerminateAsync(name);
                await victim.DisposeAsync();
                nodes.Add(await HostNode.StartAsync(hostDll, cli, api.BaseUrl, pg, work, nodes.Select(n => n.Address).ToList()));
            }
        }
        finally
        {
            if (client is not null)
            {
                await client.StopAsync();
                client.Dispose();
            }
            foreach (var node in nodes) await node.StopAsync();
            foreach (var node in nodes) await node.DisposeAsync();
            try
            {
                Directory.Delete(work, recursive: true);
            }
            catch (IOException)
            {
            }
        }

        section.Row("runs answered", $"{answers.Count} of {runs}");
        section.Row("node logs", Path.Combine(Path.GetTempPath(), "ca-chaos-failover-logs"));
        section.Row("SIGKILL → first answer from context on a survivor", Summary(answers));
        section.Row("SIGKILL → in-flight caller told (NodeUnreachable)", Summary(told));
        section.Row("SIGKILL → the killed node's CLI gone", Summary(cliGone.Select(s => s * 1000).ToList(), "ms"));
        section.Expect(answers.Count == runs, "not every run was answered from context");
        if (answers.Count > 0) section.Expect(ChaosStats.Percentile(answers, 50) < 15, "the median failover is 15 s or more");
    }

    private static string Summary(IReadOnlyCollection<double> values, string unit = "s") => values.Count == 0
        ? "n/a"
        : string.Create(CultureInfo.InvariantCulture,
            $"median {ChaosStats.Percentile(values, 50):0.0} {unit}, p90 {ChaosStats.Percentile(values, 90):0.0} {unit}, min {values.Min():0.0}, max {values.Max():0.0}, n = {values.Count}");

    private static async Task<T> WaitForAsync<T>(Func<Task<T?>> read, TimeSpan timeout) where T : class
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (await read() is { } value) return value;
            if (DateTime.UtcNow > deadline) throw new TimeoutException("not seen within " + timeout);
            await Task.Delay(200);
        }
    }

    private static async Task<IHost> StartClientAsync(IReadOnlyList<string> seeds)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Services.AddAkka(SystemName, (akka, _) => akka
            .AddHocon("akka.loglevel = WARNING", HoconAddMode.Prepend)
            .WithRemoting("127.0.0.1", 0)
            // A client node: no sessions role, so it never tips the keep-majority decision; it only routes.
            .WithClustering(new ClusterOptions { Roles = [], SeedNodes = [.. seeds], SplitBrainResolver = new KeepMajorityOption { Role = "sessions" } })
            .WithClaudeSessionsCluster(new ClaudeSessionsOptions(), new ClaudeClusterOptions { HostSessions = false }));
        builder.Services.AddClaudeSessionsClient();
        var host = builder.Build();
        await host.StartAsync();
        var up = new TaskCompletionSource();
        Akka.Cluster.Cluster.Get(host.Services.GetRequiredService<Akka.Actor.ActorSystem>()).RegisterOnMemberUp(() => up.TrySetResult());
        await up.Task.WaitAsync(TimeSpan.FromSeconds(60));
        return host;
    }

    private static async Task<string> StartPostgresAsync()
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(ChaosPaths.RepoRoot, ".ci", "postgres.sh"));
        using var script = SysProcess.Start(info) ?? throw new InvalidOperationException("bash did not start");
        var output = await script.StandardOutput.ReadToEndAsync();
        await script.WaitForExitAsync();
        if (script.ExitCode != 0) throw new InvalidOperationException(".ci/postgres.sh failed");
        return output.Trim().Split('\n')[^1];
    }

    [GeneratedRegex(@"node started: (akka\.tcp://claude-actors@[^,\s]+)")]
    private static partial Regex StartedLine();

    /// <summary>One <c>claude-actors node</c> process with its own sandbox (HOME, config dir).</summary>
    private sealed class HostNode : IAsyncDisposable
    {
        private readonly StringBuilder _log;

        private HostNode(SysProcess process, ChaosSandbox sandbox, string address, StringBuilder log)
        {
            _log = log;
            Process = process;
            Sandbox = sandbox;
            Address = address;
        }

        public SysProcess Process { get; }
        public ChaosSandbox Sandbox { get; }
        public string Address { get; }

        public static async Task<HostNode> StartAsync(string hostDll, string cli, Uri api, string pg, string work, IReadOnlyList<string> seeds)
        {
            var sandbox = new ChaosSandbox(api);
            var info = new ProcessStartInfo("dotnet")
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = sandbox.WorkDir,
            };
            List<string> args = [hostDll, "node", "--port", "0", "--data-dir", Path.Combine(sandbox.Root, "data"), "--persistence", "postgresql",
                "--connection-string", pg, "--cli-path", cli];
            foreach (var seed in seeds) args.AddRange(["--seed", seed]);
            // Debug logs of the nodes, to read a slow run's timeline: CHAOS_FAILOVER_VERBOSE=1.
            if (Environment.GetEnvironmentVariable("CHAOS_FAILOVER_VERBOSE") == "1") args.Add("--verbose");
            foreach (var arg in args) info.ArgumentList.Add(arg);
            foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("ClaudeActors__", StringComparison.OrdinalIgnoreCase)).ToList())
                info.Environment.Remove(key);
            info.Environment.Remove("CLAUDE_CLI_PATH");
            foreach (var (key, value) in sandbox.Environment()) info.Environment[key] = value;
            // One working directory for every node: the transcript's project folder is named after it.
            info.Environment["ClaudeActors__Defaults__WorkingDirectory"] = work;
            var process = SysProcess.Start(info) ?? throw new InvalidOperationException("dotnet did not start");
            process.StandardInput.Close();
            var started = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            var log = new StringBuilder();
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is not { } line) return;
                lock (log) log.AppendLine(line);
                if (StartedLine().Match(line) is { Success: true } match) started.TrySetResult(match.Groups[1].Value);
            };
            process.OutputDataReceived += (_, _) => { };
            process.BeginErrorReadLine();
            process.BeginOutputReadLine();
            var first = await Task.WhenAny(started.Task, process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(90)));
            if (first != started.Task)
            {
                if (!process.HasExited) process.Kill(entireProcessTree: true);
                string text;
                lock (log) text = log.ToString();
                sandbox.Dispose();
                throw new InvalidOperationException("a node did not start:\n" + text);
            }
            var node = new HostNode(process, sandbox, await started.Task, log);
            return node;
        }

        /// <summary>SIGTERM, as a service manager stops a node: it leaves the cluster and stops its sessions.</summary>
        public async Task StopAsync()
        {
            if (Process.HasExited) return;
            _ = SendSignal(Process.Id, 15);
            try
            {
                await Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            }
            catch (TimeoutException)
            {
                // DisposeAsync kills it.
            }
        }

        [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
        private static extern int SendSignal(int pid, int signal);

        public async ValueTask DisposeAsync()
        {
            if (!Process.HasExited)
            {
                Process.Kill(entireProcessTree: true);
                await Process.WaitForExitAsync();
            }
            await ChaosProcesses.WaitUntilAsync(() => Sandbox.LiveProcesses().Count == 0, TimeSpan.FromSeconds(10));
            // Each node's log, for reading a run's timeline afterwards.
            var logs = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "ca-chaos-failover-logs")).FullName;
            string text;
            lock (_log) text = _log.ToString();
            await File.WriteAllTextAsync(Path.Combine(logs, $"{DateTime.Now:HHmmss}-{Address.Split(':')[^1]}.log"), text);
            if (Sandbox.LiveProcesses().Count > 0) Console.Error.WriteLine($"  CLI processes of {Address} outlived it");
            Sandbox.Dispose();
            Process.Dispose();
        }
    }
}
