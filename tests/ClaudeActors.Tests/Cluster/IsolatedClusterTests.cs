using ClaudeActors.History;
using ClaudeActors.Tests.Infrastructure;
using Xunit;

namespace ClaudeActors.Tests.Cluster;

/// <summary>Isolated sessions in a cluster: their own folders on each node, the transcript moving with them, credentials by reference.</summary>
public sealed class IsolatedClusterTests : IAsyncLifetime
{
    private const string ReferencedKey = "test-only-referenced-credential-isolation";
    private static readonly Dictionary<string, string?> NodeConfiguration = new() { ["Tenants:Traveller:ApiKey"] = ReferencedKey };

    private ClusterNodes _cluster = null!;

    public async Task InitializeAsync() => _cluster = await ClusterNodes.StartAsync();

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task An_isolated_session_moves_to_another_node_with_its_transcript_and_its_key_never_reaches_the_journal()
    {
        var a = await _cluster.Node(TestPaths.RealCli, isolated: true, configuration: NodeConfiguration);
        var b = await _cluster.Node(TestPaths.RealCli, seed: a, isolated: true, configuration: NodeConfiguration);
        var options = new SessionOptions
        {
            Name = "traveller-iso",
            EnvironmentFromConfiguration = new Dictionary<string, string> { ["ANTHROPIC_API_KEY"] = "Tenants:Traveller:ApiKey" },
        };

        var session = await a.Sessions.StartAsync(options);
        Assert.Equal("OK, I will remember the code.", await session.FinalTextAsync("Remember: the code is 4242"));
        var id = (await session.GetSessionIdAsync())!;
        // The key came from configuration, not from the node's literal default.
        Assert.Contains(_cluster.Api.ConversationRequests, r => r.Headers.TryGetValue("x-api-key", out var key) && key == ReferencedKey);

        var entry = await Eventually(async () => Assert.Single(await a.Client.ListDirectoryAsync(), e => e.SessionId == id));
        var (lost, survivor) = entry.Node == a.Address ? (a, b) : (b, a);
        var lostDirs = new IsolationLayout(ClusterNode.DataDirectory(lost.Sandbox)).For("traveller-iso");
        var survivorDirs = new IsolationLayout(ClusterNode.DataDirectory(survivor.Sandbox)).For("traveller-iso");
        Assert.True(Directory.Exists(lostDirs.Config));
        await lost.StopAsync();

        // The survivor writes the transcript back into the session's own config dir there, then resumes.
        var again = await survivor.Sessions.GetAsync("traveller-iso");
        Assert.Equal("The code is 4242.", await again.FinalTextAsync("What was the code?"));
        Assert.Equal(id, await again.GetSessionIdAsync());
        var transcript = Path.Combine(survivorDirs.Config, "projects", ConversationHistory.EncodeProjectPath(survivorDirs.Work), id + ".jsonl");
        Assert.True(File.Exists(transcript));
        // Nothing landed in the node's shared config dir.
        Assert.False(Directory.Exists(Path.Combine(survivor.Sandbox.ConfigDir, "projects")));

        // The key is in no persisted byte: not the journal, not the transcript.
        await survivor.Sessions.TerminateAsync("traveller-iso");
        Assert.False(Directory.Exists(survivorDirs.Root)); // terminate removes the session's folders
        foreach (var file in Directory.EnumerateFiles(Path.GetDirectoryName(_cluster.JournalFile)!, Path.GetFileName(_cluster.JournalFile) + "*")
                     .Concat(Directory.EnumerateFiles(lost.Sandbox.Root, "*", SearchOption.AllDirectories)))
            Assert.DoesNotContain(ReferencedKey, File.ReadAllText(file));
        await survivor.StopAsync();
        foreach (var dirs in new[] { lostDirs, survivorDirs })
            Assert.True(await ProcessTable.WaitUntilAsync(() => ProcessTable.WithEnvironmentValue("CLAUDE_CONFIG_DIR=" + dirs.Config).Count == 0, TimeSpan.FromSeconds(10)));
    }

    private static async Task<T> Eventually<T>(Func<Task<T>> check)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            try
            {
                return await check();
            }
            catch (Exception) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }
    }
}
