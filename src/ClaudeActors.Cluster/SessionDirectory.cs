using Akka.Actor;
using Akka.DistributedData;

namespace ClaudeActors.Cluster;

/// <summary>
/// The cluster-wide session directory: a Distributed Data LWW map, name → <see cref="SessionDirectoryEntry"/>, that
/// each entity keeps current and every node replicates, so any node can list every session, passivated ones too.
/// Writes are local (gossip spreads them); reads ask every node first (see <see cref="ListAsync"/>).
/// </summary>
internal static class SessionDirectory
{
    public static readonly LWWDictionaryKey<string, SessionDirectoryEntry> Key = new("claude-sessions");

    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(30);

    public static void Update(ActorSystem system, SessionDirectoryEntry entry)
    {
        var node = Akka.Cluster.Cluster.Get(system);
        DistributedData.Get(system).Replicator.Tell(Dsl.Update(Key, LWWDictionary<string, SessionDirectoryEntry>.Empty,
            WriteLocal.Instance, map => map.SetItem(node, entry.Name, entry)));
    }

    public static void Remove(ActorSystem system, string name)
    {
        var node = Akka.Cluster.Cluster.Get(system);
        DistributedData.Get(system).Replicator.Tell(Dsl.Update(Key, LWWDictionary<string, SessionDirectoryEntry>.Empty,
            WriteLocal.Instance, map => map.Remove(node, name)));
    }

    /// <summary>Every entry, by name. Asks every node, then a majority, then the local copy: a node that joined a moment ago has no copy yet.</summary>
    public static async Task<IReadOnlyList<SessionDirectoryEntry>> ListAsync(ActorSystem system, CancellationToken cancellationToken)
    {
        var replicator = DistributedData.Get(system).Replicator;
        var cluster = Akka.Cluster.Cluster.Get(system);
        // The replicator learns the members from cluster events: give it a moment to know every Up member.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(3);
        while (DateTime.UtcNow < deadline)
        {
            var replicas = await replicator.Ask<ReplicaCount>(Dsl.GetReplicaCount, AskTimeout, cancellationToken).ConfigureAwait(false);
            if (replicas.N >= cluster.State.Members.Count(m => m.Status == Akka.Cluster.MemberStatus.Up)) break;
            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
        foreach (var consistency in new IReadConsistency[]
                 { new ReadAll(TimeSpan.FromSeconds(5)), new ReadMajority(TimeSpan.FromSeconds(5)), ReadLocal.Instance })
        {
            var response = await replicator.Ask<IGetResponse>(Dsl.Get(Key, consistency), AskTimeout, cancellationToken).ConfigureAwait(false);
            if (response is GetSuccess success)
                return success.Get(Key).Entries.Values.OrderBy(e => e.Name, StringComparer.Ordinal).ToList();
            if (response is NotFound) return [];
        }
        return [];
    }
}
