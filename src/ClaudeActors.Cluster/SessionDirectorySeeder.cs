using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using Akka.Persistence.Query;
using Akka.Persistence.Sql.Query;
using Akka.Streams;
using Akka.Streams.Dsl;
using ClaudeActors.Client;
using ClaudeActors.Sessions;

namespace ClaudeActors.Cluster;

/// <summary>
/// Lists again, after a full cluster restart, the sessions that only the journal still knows: the Distributed Data
/// directory lives in memory. Once a node is up, the oldest node of the sessions role reads the journal's persistence
/// ids and wakes each unlisted session's entity just long enough for it to write its directory entry (no CLI starts:
/// a recovered entity starts its CLI only for a message that needs one), then passivates it.
/// </summary>
internal static class SessionDirectorySeeder
{
    private const string PersistencePrefix = "claude-session-";
    private const int Parallelism = 4;
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(30);

    public static async Task SeedAsync(ActorSystem system, IActorRef region, string role)
    {
        var log = Akka.Event.Logging.GetLogger(system, typeof(SessionDirectorySeeder));
        try
        {
            var cluster = Akka.Cluster.Cluster.Get(system);
            // The member-up callback can run before the cluster state shows this member Up.
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
            while (DateTime.UtcNow < deadline &&
                   !cluster.State.Members.Any(m => m.Address.Equals(cluster.SelfAddress) && m.Status == Akka.Cluster.MemberStatus.Up))
                await Task.Delay(100).ConfigureAwait(false);
            var oldest = cluster.State.Members
                .Where(m => m.HasRole(role) && m.Status == Akka.Cluster.MemberStatus.Up)
                .OrderBy(m => m, Akka.Cluster.Member.AgeOrdering)
                .FirstOrDefault();
            if (oldest is null || !oldest.Address.Equals(cluster.SelfAddress)) return;

            ICurrentPersistenceIdsQuery journal;
            try
            {
                journal = PersistenceQuery.Get(system).ReadJournalFor<SqlReadJournal>(SqlReadJournal.Identifier);
            }
            catch (Exception ex)
            {
                log.Debug("Session directory: no SQL read journal ({0}); sessions known only to the journal are listed once used.", ex.Message);
                return;
            }
            var listed = (await new ClaudeSessionsClient(system).ListDirectoryAsync().ConfigureAwait(false)).Select(e => e.Name).ToHashSet(StringComparer.Ordinal);
            var unlisted = await journal.CurrentPersistenceIds()
                .Where(id => id.StartsWith(PersistencePrefix, StringComparison.Ordinal))
                .Select(id => id[PersistencePrefix.Length..])
                .Where(name => !listed.Contains(name))
                .RunWith(Sink.Seq<string>(), system.Materializer())
                .ConfigureAwait(false);
            if (unlisted.Count == 0) return;

            var known = 0;
            foreach (var batch in unlisted.Chunk(Parallelism))
            {
                var replies = await Task.WhenAll(batch.Select(async name =>
                {
                    try
                    {
                        // A terminated session's entity finds no options in its journal and answers not-found.
                        var info = await region.Ask<SessionInfo>(new ShardingEnvelope(name, GetSessionInfo.Instance), ProbeTimeout).ConfigureAwait(false);
                        region.Tell(new ShardingEnvelope(name, PassivateIfUnused.Instance));
                        return info.LastFailure is null;
                    }
                    catch (AskTimeoutException)
                    {
                        return false;
                    }
                })).ConfigureAwait(false);
                known += replies.Count(r => r);
            }
            log.Info("Session directory: {0} session(s) known only to the journal are listed again.", known);
        }
        catch (Exception ex)
        {
            log.Warning("Session directory: could not list the sessions of the journal: {0}", ex.Message);
        }
    }
}
