using ClaudeActors.Tests.Infrastructure;
using System.Text.Json;
using Xunit;

namespace ClaudeActors.Tests.Api;

/// <summary>
/// The core package stays local-only: its restored dependency closure (the project's assets file, which is what a
/// consumer of the package restores, plus build-only analyzers) holds no cluster, persistence or database package.
/// </summary>
public sealed class PackageDependencyTests
{
    private static readonly string[] ClusterOnly =
        ["Akka.Cluster", "Akka.Persistence", "Akka.DistributedData", "LightningDB", "linq2db", "Npgsql", "Microsoft.Data.Sqlite", "SQLitePCLRaw"];

    [Fact]
    public void The_core_package_pulls_no_cluster_or_persistence_package()
    {
        var assets = Path.Combine(RepoRoot(), "src", "ClaudeActors", "obj", "project.assets.json");
        using var json = JsonDocument.Parse(File.ReadAllText(assets));
        var libraries = json.RootElement.GetProperty("libraries").EnumerateObject().Select(p => p.Name.Split('/')[0]).ToList();
        Assert.Contains("Akka", libraries);
        Assert.DoesNotContain(libraries, l => ClusterOnly.Any(c => l.StartsWith(c, StringComparison.OrdinalIgnoreCase)));
    }

    [Fact]
    public void The_cluster_package_carries_the_cluster_dependencies()
    {
        var assets = Path.Combine(RepoRoot(), "src", "ClaudeActors.Cluster", "obj", "project.assets.json");
        using var json = JsonDocument.Parse(File.ReadAllText(assets));
        var libraries = json.RootElement.GetProperty("libraries").EnumerateObject().Select(p => p.Name.Split('/')[0]).ToHashSet();
        Assert.Superset(new HashSet<string> { "Akka.Cluster.Sharding", "Akka.Persistence.Sql", "Npgsql", "Microsoft.Data.Sqlite" }, libraries);
    }

    private static string RepoRoot() => TestPaths.RepoRoot;
}
