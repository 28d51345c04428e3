using Akka;
using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Cluster.Sharding;
using Akka.Cluster.Hosting.SBR;
using Akka.Hosting;
using Akka.Persistence.Sql.Hosting;
using Akka.Remote.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using ClaudeActors.Cluster;
using ClaudeActors.Hosting;
using Microsoft.Extensions.Configuration;

namespace ClaudeActors.Host.Configuration;

/// <summary>
/// Everything a cluster node (or a client node) is built from: the typed settings bound from configuration
/// (appsettings.json, then <c>ClaudeActors__...</c> environment variables), with the command line's flags
/// applied on top by the commands.
/// </summary>
internal sealed class NodeConfiguration
{
    public required NodeSettings Node { get; init; }

    /// <summary>Null on client nodes: they host no entity, so they need no journal.</summary>
    public PersistenceSettings? Persistence { get; init; }

    public required ClaudeClusterOptions Cluster { get; init; }

    public required ClaudeSessionsOptions Sessions { get; init; }

    /// <summary>The share of a container's memory limit (cgroup v2 memory.max) a node's CLIs get when no budget is set.</summary>
    public const int ContainerBudgetPercent = 80;

    /// <summary>Where the container's memory limit is read (cgroup v2).</summary>
    internal static string CgroupMemoryMax { get; set; } = "/sys/fs/cgroup/memory.max";

    /// <summary>Whether the memory budget was set, or derived from the container's limit.</summary>
    public string? BudgetSource { get; private set; }

    /// <summary>The key that turns session isolation off on a node (<c>false</c>); on when absent.</summary>
    public const string IsolationKey = "ClaudeActors:Cluster:Isolation";

    /// <summary>
    /// A session-hosting node: every section bound; isolation on unless <see cref="IsolationKey"/> is <c>false</c>; in a
    /// container without a set budget, a share of its memory limit.
    /// </summary>
    public static NodeConfiguration ForNode(IConfiguration configuration)
    {
        var cluster = BindCluster(configuration);
        cluster.Isolation = configuration.GetValue<bool?>(IsolationKey) ?? true;
        var config = new NodeConfiguration
        {
            Node = configuration.GetSection(NodeSettings.SectionName).Get<NodeSettings>() ?? new NodeSettings(),
            Persistence = configuration.GetSection(PersistenceSettings.SectionName).Get<PersistenceSettings>() ?? new PersistenceSettings(),
            Cluster = cluster,
            Sessions = configuration.GetSection(ClaudeSessionsOptions.SectionName).Get<ClaudeSessionsOptions>() ?? new ClaudeSessionsOptions(),
        };
        if (config.Cluster.MemoryBudget is null && ContainerMemoryLimit(CgroupMemoryMax) is { } limit)
        {
            config.Cluster.MemoryBudget = new ByteSize(limit / 100 * ContainerBudgetPercent);
            config.BudgetSource = $"{ContainerBudgetPercent}% of the container's {new ByteSize(limit)}";
        }
        return config;
    }

    /// <summary>The cgroup's memory limit in bytes; null when there is none ("max") or no cgroup v2 file.</summary>
    internal static long? ContainerMemoryLimit(string path)
    {
        try
        {
            var text = File.Exists(path) ? File.ReadAllText(path).Trim() : null;
            return long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var bytes) && bytes > 0 ? bytes : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The budget for the start-up line: its size and where it came from.</summary>
    public string DescribeBudget() => Cluster.MemoryBudget is { } budget
        ? budget + (BudgetSource is { } source ? $" ({source})" : "") + (Sessions.Defaults.CliMemoryLimit is { } limit ? $", {limit} per CLI" : "")
        : "none" + (Sessions.Defaults.CliMemoryLimit is { } perCli ? $", {perCli} per CLI" : "");

    /// <summary>
    /// A short-lived client node (operator commands, <c>chat --join</c>): the configured hostname (so the cluster
    /// can reach it back), a random port, no roles (a shard region proxy), no journal, no declared sessions.
    /// The cluster section is still bound: the proxy must compute the same shards as the hosting nodes.
    /// </summary>
    public static NodeConfiguration ForClient(IConfiguration configuration, IReadOnlyList<string> seeds, string? hostname)
    {
        var node = configuration.GetSection(NodeSettings.SectionName).Get<NodeSettings>() ?? new NodeSettings();
        // No seed given or configured: the node of this machine's configuration (127.0.0.1:4053 by default), as
        // psql or redis-cli default to the local server.
        // Inside a node's container with config discovery, its contact points are the cluster's nodes as they advertise
        // themselves (a node advertising node1 does not answer to 127.0.0.1).
        if (seeds.Count == 0 && node.EffectiveSeedNodes.Count == 0 && node.Discovery == DiscoveryMethod.Config && node.EffectiveContactPoints.Count > 0)
            seeds = node.EffectiveContactPoints.Select(p => $"akka.tcp://{NodeSettings.SystemName}@{p}").ToList();
        if (seeds.Count == 0 && node.EffectiveSeedNodes.Count == 0) seeds = [node.LocalAddress];
        node.Port = 0;
        node.Roles = [];
        // A short-lived client joins through an address, never through discovery (it would form a cluster of its own).
        node.Discovery = DiscoveryMethod.None;
        if (seeds.Count > 0) node.SeedNodes = seeds.ToList();
        if (!string.IsNullOrWhiteSpace(hostname)) node.Hostname = hostname;
        var cluster = BindCluster(configuration);
        cluster.HostSessions = false;
        return new NodeConfiguration { Node = node, Cluster = cluster, Sessions = new ClaudeSessionsOptions() };
    }

    private static ClaudeClusterOptions BindCluster(IConfiguration configuration) =>
        configuration.GetSection("ClaudeActors:Cluster").Get<ClaudeClusterOptions>() ?? new ClaudeClusterOptions();

    /// <summary>Every problem with the settings, as sentences.</summary>
    public List<string> Validate()
    {
        var problems = Node.Validate();
        if (Persistence is not null) problems.AddRange(Persistence.Validate());
        if (Cluster.NumberOfShards <= 0) problems.Add("ClaudeActors:Cluster:NumberOfShards must be positive.");
        if (Cluster.MaxLiveCliProcesses <= 0) problems.Add("the most live CLI processes (--max-cli) must be positive.");
        if (Cluster.MemoryBudget is { Bytes: <= 0 }) problems.Add("the memory budget (--memory-budget) must be positive.");
        if (Sessions.MaxWaitingStarts < 0) problems.Add("ClaudeActors:MaxWaitingStarts must not be negative.");
        if (Sessions.StartWaitTimeout <= TimeSpan.Zero) problems.Add("ClaudeActors:StartWaitTimeout must be positive.");
        if (Cluster.PassivateIdleAfter is { } idle && idle <= TimeSpan.Zero) problems.Add("the idle timeout must be positive (0 on the command line disables it).");
        if (string.IsNullOrWhiteSpace(Cluster.Role)) problems.Add("ClaudeActors:Cluster:Role is empty.");
        problems.AddRange(Sessions.ValidateDeclared());
        return problems;
    }

    /// <summary>Applies the roles: a node without the sessions role only routes (shard region proxy).</summary>
    public void ApplyRoles()
    {
        if (!Node.EffectiveRoles.Contains(Cluster.Role)) Cluster.HostSessions = false;
    }

    /// <summary>Isolated sessions live under the node's data directory (<c>&lt;data&gt;/sessions/</c>), unless <c>ClaudeActors:Isolation:Directory</c> says otherwise.</summary>
    public void ApplyIsolation()
    {
        if (!Cluster.Isolation) return;
        Sessions.Isolation ??= new SessionIsolation();
        if (string.IsNullOrWhiteSpace(Sessions.Isolation.Directory)) Sessions.Isolation.Directory = Node.EffectiveDataDirectory;
    }

    /// <summary>The journal's connection string (null on client nodes); creates the SQLite file's folder.</summary>
    public string? PrepareStorage()
    {
        if (Persistence is null || !Cluster.HostSessions) return null;
        var connectionString = Persistence.EffectiveConnectionString(Node.EffectiveDataDirectory);
        Persistence.EnsureStorage(connectionString);
        return connectionString;
    }
}

/// <summary>Akka.Hosting wiring of a cluster node.</summary>
internal static class ClusterNodeBuilder
{
    /// <summary>
    /// Remoting, clustering (keep-majority split-brain resolver, counted over the sessions role so short-lived
    /// client nodes never tip a decision), the journal, the session shard region (or its proxy) and the declared
    /// sessions; with discovery, the seed list is looked up (<see cref="DiscoveryJoin"/>); with neither, the node joins itself, forming a
    /// cluster of one.
    /// </summary>
    /// <param name="builder">The ActorSystem's builder.</param>
    /// <param name="config">The node's settings.</param>
    /// <param name="connectionString">The journal's; null on nodes without sessions.</param>
    /// <param name="healthChecks">Register Akka.Hosting's health checks (the node serves them with <c>--health-port</c>).</param>
    public static AkkaConfigurationBuilder WithClaudeActorsCluster(this AkkaConfigurationBuilder builder, NodeConfiguration config, string? connectionString,
        bool healthChecks = false)
    {
        var node = config.Node;
        var seeds = node.EffectiveSeedNodes;
        builder.WithRemoting(new RemoteOptions
        {
            HostName = node.Hostname,
            Port = node.Port,
            PublicHostName = node.EffectivePublicHostname,
        });
        builder.WithClustering(new ClusterOptions
        {
            Roles = node.EffectiveRoles.ToArray(),
            SeedNodes = seeds.ToArray(),
            SplitBrainResolver = new KeepMajorityOption { Role = config.Cluster.Role },
        });
        if (connectionString is not null && config.Persistence is { } persistence)
        {
            // The plugins' own checks: they answer. Akka.Persistence.Sql.Hosting's connectivity checks are not used: 1.5.70
            // fails against the linq2db our feed resolves (6.5.1: "Could not load type DataConnectionExtensions"), so
            // the database itself is checked by JournalDatabaseHealthCheck (Observability.AddNodeHealth).
            builder.WithSqlPersistence(connectionString, persistence.LinqToDbProvider, autoInitialize: true,
                journalBuilder: healthChecks
                    ? journal =>
                    {
                        journal.WithHealthCheck(HealthStatus.Unhealthy, "journal", [Observability.ReadyTag]);
                    }
                    : null,
                snapshotBuilder: healthChecks
                    ? snapshots =>
                    {
                        snapshots.WithHealthCheck(HealthStatus.Unhealthy, "snapshot-store", [Observability.ReadyTag]);
                    }
                    : null);
        }
        if (healthChecks) builder.WithNodeHealthChecks();
        builder.WithClaudeSessionsCluster(config.Sessions, config.Cluster);
        if (node.Discovery != DiscoveryMethod.None)
        {
            builder.WithDiscoveryJoin(node);
        }
        else if (seeds.Count == 0)
        {
            builder.AddStartup(async (system, _) =>
            {
                var cluster = Akka.Cluster.Cluster.Get(system);
                await cluster.JoinAsync(cluster.SelfAddress);
            });
        }
        return builder;
    }
}
