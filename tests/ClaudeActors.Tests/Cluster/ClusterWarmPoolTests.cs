using Akka.Actor;
using ClaudeActors.Cluster;
using ClaudeActors.Process;
using ClaudeActors.Tests.Infrastructure;
using Xunit;

namespace ClaudeActors.Tests.Cluster;

/// <summary>A node's warm pool (<c>ClaudeActors:WarmPool</c>, <c>node --warm-pool</c>) serving sharded session entities.</summary>
public sealed class ClusterWarmPoolTests : IAsyncLifetime
{
    private ClusterNodes _cluster = null!;

    public async Task InitializeAsync() => _cluster = await ClusterNodes.StartAsync();

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private static async Task<WarmPoolState> WaitForAsync(IActorRef pool, Func<WarmPoolState, bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var state = await pool.Ask<WarmPoolState>(GetWarmPoolState.Instance, TimeSpan.FromSeconds(5));
            if (condition(state)) return state;
            if (DateTime.UtcNow > deadline) throw new TimeoutException("The pool never reached the state; last: " + state);
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task A_new_cluster_session_takes_a_warm_cli_keeps_its_id_across_a_restart_and_the_pool_stays_within_the_cap()
    {
        var node = await _cluster.Node(TestPaths.FakeCli, options: new ClaudeClusterOptions { MaxLiveCliProcesses = 3 }, warmPool: 2);
        var pool = await node.System.ActorSelection("/user/claude-" + WarmPool.ActorName).ResolveOne(TimeSpan.FromSeconds(5));
        var full = await WaitForAsync(pool, s => s.Idle == 2);

        var session = await node.Sessions.StartAsync(new SessionOptions { Name = "pooled" });
        var info = await session.GetInfoAsync();
        Assert.Contains(info.CliProcessId!.Value, full.ProcessIds);
        Assert.Equal("Nice to meet you, Ann.", await session.FinalTextAsync("My name is Ann"));
        var id = await session.GetSessionIdAsync();
        Assert.Equal(info.SessionId, id);

        // A new CLI resumes the conversation under the pool's id: the entity journaled it.
        var restarted = await session.RestartAsync();
        Assert.Equal(id, restarted.SessionId);
        Assert.Equal("Your name is Ann!", await session.FinalTextAsync("What is my name?"));

        // Two sessions' CLIs and the pool together stay within --max-cli (3): the pool holds at most one now.
        var second = await node.Sessions.StartAsync(new SessionOptions { Name = "second" });
        Assert.Equal("Nice to meet you, Bo.", await second.FinalTextAsync("My name is Bo"));
        var state = await WaitForAsync(pool, s => s.Taken == 2 && s.Starting == 0);
        Assert.True(state.Idle <= 1, "the pool holds " + state.Idle + " idle CLIs beside two live sessions, the cap is 3");
        Assert.True(node.Sandbox.LiveProcesses().Count <= 3, node.Sandbox.LiveProcesses().Count + " CLIs are live, the cap is 3");
    }
}
