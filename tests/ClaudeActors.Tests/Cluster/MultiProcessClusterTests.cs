using System.Diagnostics;
using ClaudeActors.Cluster;
using ClaudeActors.Sessions;
using ClaudeActors.Testing;
using ClaudeActors.Tests.CommandLine;
using ClaudeActors.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace ClaudeActors.Tests.Cluster;

/// <summary>Three host processes on loopback sharing a PostgreSQL journal; one is killed with SIGKILL mid-life.</summary>
public sealed class MultiProcessClusterTests(ITestOutputHelper output) : IAsyncLifetime
{
    private FakeMessagesApi _api = null!;
    private readonly List<CliSandbox> _sandboxes = [];
    private readonly List<NodeProcess> _nodes = [];
    private ClusterNode? _client;

    public async Task InitializeAsync() => _api = await FakeMessagesApi.StartAsync();

    public async Task DisposeAsync()
    {
        if (_client is not null) await _client.DisposeAsync();
        foreach (var node in _nodes) await node.DisposeAsync();
        foreach (var sandbox in _sandboxes)
        {
            var gone = await ProcessTable.WaitUntilAsync(() => sandbox.LiveProcesses().Count == 0, TimeSpan.FromSeconds(10));
            sandbox.Dispose();
            Assert.True(gone, "a CLI process outlived its node");
        }
        await _api.DisposeAsync();
    }

    [PostgresFact]
    public async Task A_session_on_a_killed_host_process_answers_from_its_context_on_a_survivor()
    {
        var pg = PostgresFactAttribute.ConnectionString!;
        var workDir = Directory.CreateTempSubdirectory("ca-mp-work-").FullName;
        string? seed = null;
        var addresses = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var sandbox = new CliSandbox(_api.BaseUrl);
            _sandboxes.Add(sandbox);
            List<string> args = ["--port", "0", "--data-dir", Path.Combine(sandbox.Root, "data"), "--persistence", "postgresql", "--connection-string", pg];
            if (seed is not null) args.AddRange(["--seed", seed]);
            var node = NodeProcess.Start(sandbox, args, new Dictionary<string, string>
            {
                ["ClaudeActors__Defaults__CliPath"] = TestPaths.RealCli,
                ["ClaudeActors__Defaults__WorkingDirectory"] = workDir,
            }, output);
            _nodes.Add(node);
            var address = await node.WaitUntilStartedAsync(TimeSpan.FromSeconds(60));
            seed ??= address;
            addresses.Add(address);
        }

        // The test joins as a client node (no sessions role): it reaches sessions only through the cluster.
        var clientSandbox = new CliSandbox(_api.BaseUrl);
        _sandboxes.Add(clientSandbox);
        _client = await ClusterNode.StartAsync(clientSandbox, "", TestPaths.RealCli, cluster: new ClaudeClusterOptions { HostSessions = false },
            postgres: pg, seedAddress: seed, systemName: "claude-actors");
        var name = "mp-" + Guid.NewGuid().ToString("N")[..8];
        var session = await _client.Sessions.StartAsync(new SessionOptions { Name = name });
        Assert.Equal("OK, I will remember the code.", await session.FinalTextAsync("Remember: the code is 4711"));
        var id = await session.GetSessionIdAsync();

        var entry = await Eventually(async () => (await _client.Client.ListDirectoryAsync()).Single(e => e.Name == name && e.Node.Length > 0), TimeSpan.FromSeconds(20));
        var victim = _nodes[addresses.IndexOf(entry.Node)];
        // No grace period: the answer above was held until its transcript lines were in the journal.
        var clock = Stopwatch.StartNew();
        victim.Process.Kill(); // SIGKILL: no shutdown, no hand-off; the kernel ends its CLI (parent-death signal)

        // A query sent into the dead node's shard before the cluster downs it is lost: the caller's guard times out
        // and the caller asks again, as a caller would.
        var answer = await Eventually(() => session.FinalTextAsync("What was the code?", new() { Timeout = TimeSpan.FromSeconds(10) }), TimeSpan.FromSeconds(90));
        output.WriteLine($"answered from context {clock.Elapsed.TotalSeconds:F1} s after the SIGKILL");
        Assert.Equal("The code is 4711.", answer);
        Assert.Equal(id, await session.GetSessionIdAsync());
        Assert.True(await ProcessTable.WaitUntilAsync(() => _sandboxes[addresses.IndexOf(entry.Node)].LiveProcesses().Count == 0, TimeSpan.FromSeconds(5)),
            "the killed host's CLI outlived it");
        await _client.Sessions.TerminateAsync(name);
    }

    private static async Task<T> Eventually<T>(Func<Task<T>> attempt, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                return await attempt();
            }
            catch (Exception) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(500);
            }
        }
    }
}
