using Akka.Actor;
using ClaudeActors.Cluster;
using ClaudeActors.Sessions;
using ClaudeActors.Testing;
using ClaudeActors.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace ClaudeActors.Tests.Cluster;

/// <summary>Failure detection drives these tests: they run alone, so other tests' load does not blur it.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FailoverCollection
{
    public const string Name = "failover";
}

/// <summary>
/// A network partition between in-process nodes on loopback (Akka's throttler adapter blackholes their traffic both
/// ways): one node, the session's, against the other two.
/// </summary>
[Collection(FailoverCollection.Name)]
public sealed class PartitionTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(45);
    private FakeMessagesApi _api = null!;
    private readonly List<CliSandbox> _sandboxes = [];
    private readonly List<ClusterNode> _nodes = [];
    private readonly string _journal = Path.Combine(Path.GetTempPath(), "ca-journal-" + Guid.NewGuid().ToString("N")[..8] + ".db");

    public async Task InitializeAsync() => _api = await FakeMessagesApi.StartAsync();

    public async Task DisposeAsync()
    {
        foreach (var node in _nodes) await node.DisposeAsync();
        foreach (var sandbox in _sandboxes)
        {
            var gone = await ProcessTable.WaitUntilAsync(() => sandbox.LiveProcesses().Count == 0, TimeSpan.FromSeconds(10));
            sandbox.Dispose();
            Assert.True(gone, "a CLI process outlived its node");
        }
        await _api.DisposeAsync();
        foreach (var file in Directory.EnumerateFiles(Path.GetTempPath(), Path.GetFileName(_journal) + "*")) File.Delete(file);
    }

    private async Task<ClusterNode> Node(ClusterNode? seed, string? workingDirectory)
    {
        var sandbox = new CliSandbox(_api.BaseUrl);
        _sandboxes.Add(sandbox);
        var node = await ClusterNode.StartAsync(sandbox, _journal, TestPaths.FakeCli, seed, workingDirectory: workingDirectory, partitionable: true);
        _nodes.Add(node);
        return node;
    }

    [Fact]
    public async Task The_minority_stops_its_cli_before_the_majority_starts_one_and_the_callers_of_its_turns_are_told_at_once()
    {
        var first = await Node(null, null);
        var work = first.Sandbox.WorkDir;
        await Node(first, work);
        await Node(first, work);
        var started = await first.Sessions.StartAsync(new SessionOptions { Name = "split" });
        Assert.Equal("Nice to meet you, Ann.", await started.FinalTextAsync("My name is Ann"));
        var id = await started.GetSessionIdAsync();
        var entry = await Eventually(async () => (await first.Client.ListDirectoryAsync()).Single(e => e.Name == "split" && e.Node.Length > 0));
        var minority = _nodes.Single(n => n.Address == entry.Node);
        var majority = _nodes.Where(n => n != minority).ToList();
        var caller = majority[0];
        var session = await caller.Sessions.GetAsync("split");

        // A turn running on the minority (ten chunks 2 s apart), and a second query queued behind it from an actor.
        await using var turn = session.StreamAsync("[slow:2000] a long answer", new() { Timeout = TimeSpan.FromMinutes(5) }).GetAsyncEnumerator();
        Assert.True(await turn.MoveNextAsync());
        var queued = session.Actor.Ask<object>(new Query("behind it") { StreamMessages = false, Timeout = TimeSpan.FromMinutes(5) }, TimeSpan.FromMinutes(5));

        // Every 50 ms: how many CLIs run for the session (it is the only one) on each side.
        using var stopSampling = new CancellationTokenSource();
        var samples = new List<(int Minority, int Majority)>();
        var sampler = Task.Run(async () =>
        {
            while (!stopSampling.IsCancellationRequested)
            {
                var sample = (minority.Sandbox.LiveProcesses().Count, majority.Sum(n => n.Sandbox.LiveProcesses().Count));
                lock (samples) samples.Add(sample);
                await Task.Delay(50);
            }
        });
        var clock = System.Diagnostics.Stopwatch.StartNew();
        foreach (var other in majority)
        {
            await minority.BlackholeAsync(other);
            await other.BlackholeAsync(minority);
        }

        // Told, not left to the five-minute timeout: the node running their query became unreachable.
        var told = await Assert.ThrowsAsync<NodeUnreachableException>(async () =>
        {
            while (await turn.MoveNextAsync().AsTask().WaitAsync(Bound)) { }
        });
        output.WriteLine($"streaming caller told after {clock.Elapsed.TotalSeconds:F1} s: {told.Message}");
        var queuedFailure = Assert.IsType<QueryFailed>(await queued.WaitAsync(Bound));
        Assert.Equal(FailureKind.NodeUnreachable, queuedFailure.Failure.Kind);

        // The minority downs itself: its CLI ends and its ActorSystem stops.
        Assert.True(await ProcessTable.WaitUntilAsync(() => minority.Sandbox.LiveProcesses().Count == 0, Bound), "the minority's CLI still runs");
        output.WriteLine($"minority CLI gone after {clock.Elapsed.TotalSeconds:F1} s");
        await minority.System.WhenTerminated.WaitAsync(Bound);

        // The majority serves the session, with its context: the first answer ends the wait.
        var answer = await Eventually(() => session.FinalTextAsync("What is my name?", new() { Timeout = TimeSpan.FromSeconds(20) }));
        output.WriteLine($"answered on the majority after {clock.Elapsed.TotalSeconds:F1} s");
        Assert.Equal("Your name is Ann!", answer);
        Assert.Equal(id, await session.GetSessionIdAsync());

        await stopSampling.CancelAsync();
        await sampler;
        List<(int Minority, int Majority)> seen;
        lock (samples) seen = [.. samples];
        output.WriteLine($"{seen.Count} samples; most CLIs at once: {seen.Max(s => s.Minority + s.Majority)}");
        Assert.DoesNotContain(seen, s => s.Minority + s.Majority > 1);
        // The samples saw both sides' CLI: the one that ended, and the one that took over.
        Assert.Contains(seen, s => s.Minority == 1);
        Assert.Contains(seen, s => s.Majority == 1);
    }

    private static async Task<T> Eventually<T>(Func<Task<T>> attempt)
    {
        var deadline = DateTime.UtcNow + Bound;
        while (true)
        {
            try
            {
                return await attempt();
            }
            catch (Exception) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }
    }
}

/// <summary>The failover timing of docs/reliability.md is what a node really runs with.</summary>
[Collection(FailoverCollection.Name)]
public sealed class FailoverSettingsTests
{
    [Fact]
    public async Task A_node_runs_with_the_documented_failover_timing()
    {
        using var sandbox = new CliSandbox();
        var journal = Path.Combine(Path.GetTempPath(), "ca-journal-" + Guid.NewGuid().ToString("N")[..8] + ".db");
        await using (var node = await ClusterNode.StartAsync(sandbox, journal, TestPaths.FakeCli))
        {
            var config = node.System.Settings.Config;
            Assert.Equal(TimeSpan.FromSeconds(2), config.GetTimeSpan("akka.cluster.failure-detector.acceptable-heartbeat-pause"));
            Assert.Equal(TimeSpan.FromSeconds(2.5), config.GetTimeSpan("akka.cluster.split-brain-resolver.stable-after"));
            Assert.Equal(TimeSpan.FromMilliseconds(500), config.GetTimeSpan("akka.cluster.failure-detector.heartbeat-interval"));
            Assert.Equal(TimeSpan.FromSeconds(3), config.GetTimeSpan("akka.cluster.down-removal-margin"));
            Assert.Equal(TimeSpan.FromMilliseconds(500), config.GetTimeSpan("akka.cluster.sharding.retry-interval"));
            Assert.Equal("keep-majority", config.GetString("akka.cluster.split-brain-resolver.active-strategy"));
            // What sharding and the singleton really wait after a removal: the margin, not stable-after's default.
            Assert.Equal(TimeSpan.FromSeconds(3), Akka.Cluster.Cluster.Get(node.System).DowningProvider.DownRemovalMargin);
        }
        foreach (var file in Directory.EnumerateFiles(Path.GetTempPath(), Path.GetFileName(journal) + "*")) File.Delete(file);
    }
}
