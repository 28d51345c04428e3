using ClaudeActors.Cluster;
using ClaudeActors.Testing;
using ClaudeActors.Tests.Infrastructure;
using Xunit;

namespace ClaudeActors.Tests.Cluster;

/// <summary>
/// The in-process nodes of one cluster test: a fake Messages API, one SQLite journal they share, and a sandbox per
/// node. Disposing stops the nodes and checks that no CLI process outlived them.
/// </summary>
internal sealed class ClusterNodes : IAsyncDisposable
{
    private readonly List<CliSandbox> _sandboxes = [];
    private readonly List<ClusterNode> _nodes = [];
    private readonly string _journal = Path.Combine(Path.GetTempPath(), "ca-journal-" + Guid.NewGuid().ToString("N")[..8] + ".db");

    private ClusterNodes(FakeMessagesApi api) => Api = api;

    public FakeMessagesApi Api { get; }

    /// <summary>The SQLite journal the nodes share.</summary>
    public string JournalFile => _journal;

    public static async Task<ClusterNodes> StartAsync() => new(await FakeMessagesApi.StartAsync());

    /// <summary>A node running <paramref name="cli"/>, joined to <paramref name="seed"/> (or a cluster of one).</summary>
    public async Task<ClusterNode> Node(string cli, ClusterNode? seed = null, ClaudeClusterOptions? options = null, string? workingDirectory = null,
        string? postgres = null, int warmPool = 0, bool isolated = false, IReadOnlyDictionary<string, string?>? configuration = null)
    {
        var sandbox = new CliSandbox(Api.BaseUrl);
        _sandboxes.Add(sandbox);
        var node = await ClusterNode.StartAsync(sandbox, _journal, cli, seed, options, workingDirectory, postgres, warmPool: warmPool, isolated: isolated, configuration: configuration);
        _nodes.Add(node);
        return node;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes) await node.DisposeAsync();
        foreach (var sandbox in _sandboxes)
        {
            var gone = await ProcessTable.WaitUntilAsync(() => sandbox.LiveProcesses().Count == 0, TimeSpan.FromSeconds(10));
            sandbox.Dispose();
            Assert.True(gone, "a CLI process outlived its node");
        }
        await Api.DisposeAsync();
        foreach (var file in Directory.EnumerateFiles(Path.GetTempPath(), Path.GetFileName(_journal) + "*")) File.Delete(file);
    }
}
