using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using ClaudeActors.Client;

namespace ClaudeActors.Cluster;

/// <summary>The ActorRegistry key of the session shard region (or its proxy).</summary>
public sealed class ClaudeSessionRegion;

/// <summary>Cluster settings of ClaudeActors (section <c>ClaudeActors:Cluster</c> by convention).</summary>
public sealed class ClaudeClusterOptions
{
    /// <summary>The role of the nodes that run CLI processes; other nodes reach sessions through a proxy.</summary>
    public string Role { get; set; } = "sessions";

    /// <summary>False on nodes without the role: they only route to sessions elsewhere.</summary>
    public bool HostSessions { get; set; } = true;

    /// <summary>Shards of the session region (about ten per node is a good start).</summary>
    public int NumberOfShards { get; set; } = 50;

    /// <summary>A session idle this long stops its CLI and passivates; null disables idle passivation.</summary>
    public TimeSpan? PassivateIdleAfter { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>The most live CLI processes per node; a start past it passivates the least recently used idle session, or waits.</summary>
    public int MaxLiveCliProcesses { get; set; } = 100;

    /// <summary>
    /// The most memory (summed PSS of their process trees) this node's CLIs may use (<c>ClaudeActors:Cluster:MemoryBudget</c>,
    /// e.g. <c>8GiB</c>). Before a CLI starts that would go over it (estimate: the median PSS of the live CLIs), the least
    /// recently used idle session passivates; with none idle the start waits (<see cref="ClaudeSessionsOptions.MaxWaitingStarts"/>,
    /// <see cref="ClaudeSessionsOptions.StartWaitTimeout"/>) and then fails with <see cref="FailureKind.NodeAtCapacity"/>.
    /// Null: no memory budget (the count cap still applies). The host's <c>node</c> defaults it in a container to 80%
    /// of the cgroup's memory.max.
    /// </summary>
    public ByteSize? MemoryBudget { get; set; }

    /// <summary>
    /// Each session gets its own config dir and working directory (<see cref="SessionIsolation"/>), under
    /// <see cref="ClaudeSessionsOptions.Isolation"/>'s directory (default <see cref="SessionIsolation.DefaultDirectory"/>).
    /// Off by default in the library; the <c>node</c> command turns it on (<c>ClaudeActors:Cluster:Isolation</c>).
    /// </summary>
    public bool Isolation { get; set; }
}

/// <summary>Akka.Hosting integration of cluster mode.</summary>
public static class ClusterHostingExtensions
{
    /// <summary>The shard region's type name.</summary>
    public const string RegionName = "claude-session";

    /// <summary>
    /// How fast a lost node's sessions come back elsewhere, and why that stays safe (docs/reliability.md, "Failover").
    /// A fallback: the application's own HOCON (the host's akka.hocon) and typed options win. Every node of a
    /// cluster must use the same values: the safety argument compares the two sides' clocks.
    /// </summary>
    internal const string FailoverHocon = """
        akka.cluster {
          # A node is unreachable about 3 s after its last heartbeat: a silence of up to 2 s (a pause, a loaded
          # machine) is tolerated. Akka's defaults (1 s heartbeats, 3 s pause) take about 4.5 s.
          failure-detector {
            heartbeat-interval = 500ms
            acceptable-heartbeat-pause = 2s
          }
          # How often a node looks at its failure detector: with the heartbeat interval, bounds how far apart two
          # nodes notice the same loss (1 s).
          unreachable-nodes-reaper-interval = 500ms
          # The leader moves a downed node to Removed on its next tick, and gossip spreads the removal (every
          # survivor's shard coordinator and regions act on it): both twice as often as Akka's default.
          leader-actions-interval = 500ms
          gossip-interval = 500ms
          # Keep-majority decides once membership and reachability have not changed for this long (checked every
          # second), on both sides of a partition: the minority downs itself (its shard region stops, which kills
          # its CLIs at once), the majority downs the minority.
          split-brain-resolver.stable-after = 2500ms
          # After removing a downed node the survivors wait this long before its shards (and sessions) start
          # elsewhere: the time the other side has to have downed itself and stopped its CLIs. It covers how much
          # later the other side may decide (noticing up to 1 s later, deciding up to 1 s later) and the CLI kill,
          # with room to spare; it must stay at least stable-after (docs/reliability.md, "Failover").
          down-removal-margin = 3s
        }
        """;

    /// <summary>
    /// Sharding's part of the failover timing. Prepended: <c>WithClustering</c> has already appended sharding's
    /// reference settings, which a fallback would not override.
    /// </summary>
    internal const string FailoverShardingHocon = """
        # A region asks again for the home of a shard it holds messages for this often: once the margin has passed,
        # the shard is allocated at the next ask (Akka's default, 2 s, would add up to 2 s).
        akka.cluster.sharding.retry-interval = 500ms
        """;

    /// <summary>
    /// Cluster mode: named sessions become sharded, persistent entities (entity id = session name), reachable by name
    /// from any node through <see cref="IClaudeSessions"/> or the region registered under <see cref="ClaudeSessionRegion"/>.
    /// Needs <c>WithClustering</c> and a default journal and snapshot store (e.g. <c>WithSqlPersistence</c>) on the same builder.
    /// </summary>
    public static AkkaConfigurationBuilder WithClaudeSessionsCluster(this AkkaConfigurationBuilder builder, ClaudeSessionsOptions sessions, ClaudeClusterOptions cluster)
    {
        ArgumentNullException.ThrowIfNull(sessions);
        ArgumentNullException.ThrowIfNull(cluster);
        if (cluster.Isolation) sessions.Isolation ??= new SessionIsolation();
        var declared = sessions.ResolveDeclared();
        builder.WithCustomSerializer("claude-actors", [typeof(IClaudeActorsMessage)], system => new ClaudeActorsSerializer(system));
        builder.AddHocon(FailoverHocon, HoconAddMode.Append);
        builder.AddHocon(FailoverShardingHocon, HoconAddMode.Prepend);
        // No LMDB-backed durable keys: session state lives in the journal, and the LMDB store is not usable everywhere.
        builder.AddHocon("akka.cluster.sharding.distributed-data.durable.keys = []", HoconAddMode.Prepend);
        // Every message is sent in a ShardingEnvelope, which the extractor unwraps itself; MurmurHash keeps shard ids stable across processes.
        var extractor = HashCodeMessageExtractor.Create(cluster.NumberOfShards, _ => null!);
        if (cluster.HostSessions)
        {
            builder.WithActors((system, registry) =>
                registry.Register<SessionBudget>(system.ActorOf(SessionBudget.Props(sessions, cluster), SessionBudget.ActorName)));
            var warmProfiles = Process.WarmPoolProfiles.From(sessions);
            if (warmProfiles.Count > 0)
                builder.WithActors((system, registry) =>
                    // The node's budget holds the pool's CLIs too: it refills only into the room the sessions leave.
                    registry.Register<Process.WarmPool>(system.ActorOf(Process.WarmPool.UnderBudget(warmProfiles, registry.Get<SessionBudget>(), SessionEntity.SessionMirror),
                        "claude-" + Process.WarmPool.ActorName)));
            builder.WithShardRegion<ClaudeSessionRegion>(RegionName,
                (_, registry, _) => entityId => SessionEntity.Props(entityId, sessions, registry.Get<SessionBudget>(), cluster.PassivateIdleAfter,
                    registry.TryGet<Process.WarmPool>(out var pool) ? pool : null),
                extractor,
                new ShardOptions
                {
                    Role = cluster.Role,
                    StateStoreMode = StateStoreMode.DData,
                    RememberEntities = false,
                    // The entity passivates itself when idle (see SessionEntity): the shard cannot tell a long turn from idleness.
                    ShouldPassivateIdleEntities = false,
                    HandOffStopMessage = PassivateSessionEntity.Instance,
                });
        }
        else
        {
            builder.WithShardRegionProxy<ClaudeSessionRegion>(RegionName, cluster.Role, extractor);
        }
        // Declared sessions are created (or found) at start-up: the equivalent of remember-entities, without
        // re-spawning every CLI on each rebalance.
        return builder.WithActors((system, registry, resolver) =>
        {
            Hosting.AkkaHostingExtensions.UseHostConfiguration(system, sessions, resolver);
            // The directory's replicator runs from the start, so listing works before the first session writes to it.
            _ = Akka.DistributedData.DistributedData.Get(system);
            var region = registry.Get<ClaudeSessionRegion>();
            // From now on every IClaudeSessions client of this system reaches the cluster's sessions.
            SessionsBackend.Get(system).Install(new ClusterSessions(system, region));
            foreach (var session in declared)
                region.Tell(new ShardingEnvelope(session.Name!, new CreateSessionEntity(session, ReturnExisting: true)), ActorRefs.Nobody);
            // The directory is in memory: after a full restart, sessions only the journal knows are listed again.
            if (cluster.HostSessions)
            {
                Akka.Cluster.Cluster.Get(system).RegisterOnMemberUp(() => _ = SessionDirectorySeeder.SeedAsync(system, region, cluster.Role));
                // The journal is ready before a lost node's sessions need it here.
                system.ActorOf(JournalWarmup.Props(), "claude-journal-warmup");
            }
        });
    }
}
