using System.Text.Json;
using Akka.Hosting;
using ClaudeActors.AI;
using ClaudeActors.Client;
using ClaudeActors.Hosting;
using ClaudeActors.Testing;
using ClaudeActors.Tests.Cluster;
using ClaudeActors.Tests.Infrastructure;
using Microsoft.Agents.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Xunit;

namespace ClaudeActors.Tests.AI;

/// <summary>The agent's sessions outlive their host: real CLI, fake Messages API, Akka.Hosting hosts and cluster nodes.</summary>
public sealed class AgentRealCliTests : FakeApiTestBase
{
    private readonly List<CliSandbox> _sandboxes = [];
    private readonly List<ClusterNode> _nodes = [];
    private readonly string _journal = Path.Combine(Path.GetTempPath(), "ca-ai-journal-" + Guid.NewGuid().ToString("N")[..8] + ".db");

    public override async Task DisposeAsync()
    {
        foreach (var node in _nodes) await node.DisposeAsync();
        foreach (var sandbox in _sandboxes)
        {
            var gone = await ProcessTable.WaitUntilAsync(() => sandbox.LiveProcesses().Count == 0, TimeSpan.FromSeconds(10));
            sandbox.Dispose();
            Assert.True(gone, "a CLI process outlived its node");
        }
        foreach (var file in Directory.EnumerateFiles(Path.GetTempPath(), Path.GetFileName(_journal) + "*")) File.Delete(file);
        await base.DisposeAsync();
    }

    private static IHost BuildHost() =>
        Host.CreateDefaultBuilder()
            .ConfigureLogging(l => l.ClearProviders())
            .ConfigureServices(services =>
            {
                services.AddAkka("agent-host", (akka, _) => akka.WithClaudeSessions(new ClaudeSessionsOptions()));
                services.AddClaudeSessionsClient();
            })
            .Build();

    [Fact]
    public async Task A_serialized_agent_session_continues_its_conversation_in_a_new_host()
    {
        var template = Sandbox.RealCliOptions() with { Name = "assistant" };
        string saved;
        string sessionId;
        using (var first = BuildHost())
        {
            await first.StartAsync();
            var agent = first.Services.GetRequiredService<IClaudeSessions>().CreateAIAgent(template);
            var session = (ClaudeAgentSession)await agent.CreateSessionAsync();
            Assert.Equal("Nice to meet you, Dora.", (await agent.RunAsync("My name is Dora", session)).Text);
            saved = (await agent.SerializeSessionAsync(session)).GetRawText();
            sessionId = session.SessionId!;
            Assert.DoesNotContain(CliSandbox.TestApiKey, saved);
            await first.StopAsync();
        }
        Assert.True(await ProcessTable.WaitUntilAsync(() => Sandbox.LiveProcesses().Count == 0, TimeSpan.FromSeconds(10)),
            "the first host left a CLI running");

        using var second = BuildHost();
        await second.StartAsync();
        var sessions = second.Services.GetRequiredService<IClaudeSessions>();
        Assert.Empty(await sessions.ListAsync());
        var resumedAgent = sessions.CreateAIAgent(template);
        var restored = (ClaudeAgentSession)await resumedAgent.DeserializeSessionAsync(JsonDocument.Parse(saved).RootElement);

        var updates = new List<AgentResponseUpdate>();
        await foreach (var update in resumedAgent.RunStreamingAsync("What is my name?", restored)) updates.Add(update);

        Assert.Equal("Your name is Dora!", string.Concat(updates.Select(u => u.Text)));
        Assert.Equal(sessionId, restored.SessionId);
        var running = Assert.Single(await sessions.ListAsync());
        Assert.Equal(restored.SessionName, running.Name);
        await second.StopAsync();
    }

    [Fact]
    public async Task A_serialized_agent_session_continues_on_another_node_after_its_node_is_gone()
    {
        var a = await Node();
        var b = await Node(seed: a, workingDirectory: a.Sandbox.WorkDir);
        // Cluster sessions take the CLI, its environment and directory from the nodes' defaults.
        var template = new SessionOptions { Name = "traveller" };
        var agents = new Dictionary<ClusterNode, AIAgent> { [a] = a.Sessions.CreateAIAgent(template), [b] = b.Sessions.CreateAIAgent(template) };

        var session = (ClaudeAgentSession)await agents[a].CreateSessionAsync();
        Assert.Equal("OK, I will remember the code.", (await agents[a].RunAsync("Remember: the code is 9311", session)).Text);
        var saved = (await agents[a].SerializeSessionAsync(session)).GetRawText();

        var entry = await Eventually(async () => Assert.Single(await a.Client.ListDirectoryAsync(), e => e.Name == session.SessionName));
        var (lost, survivor) = entry.Node == a.Address ? (a, b) : (b, a);
        await lost.StopAsync();

        var moved = await agents[survivor].DeserializeSessionAsync(JsonDocument.Parse(saved).RootElement);
        var answer = await agents[survivor].RunAsync("What was the code?", moved);
        Assert.Equal("The code is 9311.", answer.Text);
        Assert.Equal(session.SessionId, ((ClaudeAgentSession)moved).SessionId);
    }

    private async Task<ClusterNode> Node(ClusterNode? seed = null, string? workingDirectory = null)
    {
        var sandbox = new CliSandbox(Api.BaseUrl);
        _sandboxes.Add(sandbox);
        var node = await ClusterNode.StartAsync(sandbox, _journal, TestPaths.RealCli, seed, workingDirectory: workingDirectory);
        _nodes.Add(node);
        return node;
    }

    private static async Task<T> Eventually<T>(Func<Task<T>> probe)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            try
            {
                return await probe();
            }
            catch (Exception) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }
    }
}
