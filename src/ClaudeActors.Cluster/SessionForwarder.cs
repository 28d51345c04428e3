using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.DistributedData;
using ClaudeActors.Sessions;

namespace ClaudeActors.Cluster;

/// <summary>
/// A named cluster session's address on this node (<see cref="Client.ClaudeSession.Actor"/>): takes the session
/// protocol as it is and forwards each message to the shard region in a <see cref="ShardingEnvelope"/>, keeping
/// the sender, so a user's actor Tells and Asks a cluster session exactly as it would a local one. One per name
/// and node, made on first use (<see cref="ClusterSessions.Handle"/>); it outlives passivation, hand-off and the
/// loss of the node the session was on.
/// </summary>
/// <remarks>
/// It also keeps the callers of queries informed when the session's node is lost. A <see cref="Query"/> goes out
/// with the forwarder as its <see cref="Query.ReplyTo"/>, and each reply is passed on to the requester unchanged
/// (same sender); the sender's address says which node runs the query. When the cluster marks that node
/// unreachable, the requester gets <see cref="FailureKind.NodeUnreachable"/> at once, instead of waiting for its
/// timeout. Such a query is never sent again: it was sent, so it may have run. A query asked while the session's
/// last known node is unreachable is held here instead, never sent there, and goes out once the node is reachable
/// again or has left the cluster (then the shard, and the session, move to another node).
/// </remarks>
internal sealed class SessionForwarder : UntypedActor, IWithTimers
{
    private static readonly TimeSpan RemovalSettle = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan ForgetGrace = TimeSpan.FromHours(1);
    private readonly IActorRef _region;
    private readonly string _name;
    private readonly Akka.Cluster.Cluster _cluster = Akka.Cluster.Cluster.Get(Context.System);
    private readonly Dictionary<string, Tracked> _queries = new(StringComparer.Ordinal);
    private readonly HashSet<Address> _unreachable = [];
    // The node the session answered from last; null until it answers, and after that node left the cluster.
    private Address? _home;
    // Just after the session's node left the cluster: held queries wait a moment more (see MemberRemoved).
    private bool _settling;

    public SessionForwarder(IActorRef region, string name)
    {
        _region = region;
        _name = name;
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IActorRef region, string name) =>
        Akka.Actor.Props.Create(() => new SessionForwarder(region, name)).WithDeploy(Deploy.Local);

    protected override void PreStart() =>
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.IReachabilityEvent), typeof(ClusterEvent.MemberRemoved));

    protected override void PostStop() => _cluster.Unsubscribe(Self);

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Query query:
                Track(query);
                break;
            case QueryMessage m:
                Relay(m.QueryId, m, terminal: false);
                break;
            case QueryCompleted c:
                Relay(c.QueryId, c, terminal: true);
                break;
            case QueryFailed f:
                Relay(f.QueryId, f, terminal: true);
                break;
            case CancelQuery cancel when _queries.Remove(cancel.QueryId, out var cancelled):
                Timers.Cancel(HoldTimer(cancel.QueryId));
                // A held query never left this node: there is nothing to cancel elsewhere.
                if (!cancelled.Held) _region.Tell(new ShardingEnvelope(_name, cancel), Sender);
                break;
            case ClusterEvent.UnreachableMember unreachable:
                _unreachable.Add(unreachable.Member.Address);
                NodeLost(unreachable.Member.Address);
                break;
            case ClusterEvent.ReachableMember reachable:
                _unreachable.Remove(reachable.Member.Address);
                ReleaseHeld();
                break;
            case ClusterEvent.MemberRemoved removed:
                // Not a loss by itself: a node that leaves gracefully hands its sessions off, and they tell their
                // callers (SessionStopped) or go on elsewhere; a lost node was unreachable first, and its queries failed then.
                var wasUnreachable = _unreachable.Remove(removed.Member.Address);
                var wasHome = removed.Member.Address.Equals(_home);
                if (wasHome) _home = null;
                if (wasUnreachable && (wasHome || _queries.Values.Any(t => t.Held)))
                {
                    // The region hears of the removal on another path (its watch of the gone node's region); a query
                    // sent before it has would go to the gone region and be lost. The coordinator hands the shard out
                    // only after down-removal-margin anyway, so waiting a moment costs the caller nothing.
                    _settling = true;
                    Timers.StartSingleTimer("release", ReleaseHeldQueries.Instance, RemovalSettle);
                }
                break;
            case ReleaseHeldQueries:
                _settling = false;
                ReleaseHeld();
                break;
            case DirectoryRead read:
                OnDirectoryRead(read);
                break;
            case HoldExpired expired when _queries.TryGetValue(expired.QueryId, out var held) && held.Held:
                _queries.Remove(expired.QueryId);
                held.Requester.Tell(new QueryFailed(expired.QueryId, new SessionFailure(FailureKind.Timeout,
                    $"Session '{_name}': its node {_home} stayed unreachable for the query's whole timeout; the query was never sent.")));
                break;
            case Forget forget:
                // A query silent far past its timeout (an hour more) never reached a session, or its session is gone
                // without its node becoming unreachable: forgotten, so the table stays bounded.
                _queries.Remove(forget.QueryId);
                break;
            case ClusterEvent.IClusterDomainEvent or HoldExpired:
                break;
            default:
                // Already wrapped (code written against the region): pass it on as it is rather than wrap it twice.
                _region.Forward(message is ShardingEnvelope ? message : new ShardingEnvelope(_name, message));
                break;
        }
    }

    private void Track(Query query)
    {
        var requester = query.ReplyTo ?? Sender;
        if (_queries.ContainsKey(query.QueryId))
        {
            // A second query with a running one's id: the session refuses it; its refusal must reach this requester.
            _region.Tell(new ShardingEnvelope(_name, query with { ReplyTo = requester }), Sender);
            return;
        }
        var tracked = new Tracked(query, requester);
        _queries[query.QueryId] = tracked;
        if (_settling || _home is { } home && _unreachable.Contains(home))
        {
            // Not sent to a node that may be gone: it waits here, so it can still go to the session's next node.
            tracked.Held = true;
            Timers.StartSingleTimer(HoldTimer(query.QueryId), new HoldExpired(query.QueryId), query.Timeout ?? SessionOptions.DefaultTimeout);
            return;
        }
        Send(tracked);
    }

    private void Send(Tracked tracked)
    {
        tracked.Held = false;
        // Until it answers, the query is taken to run where the session answered last.
        tracked.Node = _home;
        _region.Tell(new ShardingEnvelope(_name, tracked.Query with { ReplyTo = Self }), Self);
        StartForgetTimer(tracked);
    }

    private void StartForgetTimer(Tracked tracked) =>
        Timers.StartSingleTimer("forget-" + tracked.Query.QueryId, new Forget(tracked.Query.QueryId),
            (tracked.Query.Timeout ?? SessionOptions.DefaultTimeout) + ForgetGrace);

    private void Relay(string queryId, object reply, bool terminal)
    {
        // A reply after the caller was told the node is unreachable (it came back): the caller has its answer.
        if (!_queries.TryGetValue(queryId, out var tracked)) return;
        var node = Sender.Path.Address;
        if (!node.HasGlobalScope) node = _cluster.SelfAddress; // the session runs on this node
        tracked.Node = node;
        tracked.Replies++;
        _home = node;
        tracked.Requester.Forward(reply);
        if (terminal)
        {
            _queries.Remove(queryId);
            Timers.Cancel("forget-" + queryId);
        }
        else if (tracked.Replies == 1 || tracked.Replies % 256 == 0)
        {
            StartForgetTimer(tracked); // silence is counted from the last replies, not from the start
        }
    }

    private void NodeLost(Address node)
    {
        foreach (var tracked in _queries.Values.Where(t => !t.Held && node.Equals(t.Node)).ToList())
            Fail(tracked, node);
        // Queries sent before the session ever answered: the directory says where the session lives.
        if (_queries.Values.Any(t => !t.Held && t.Node is null))
        {
            DistributedData.Get(Context.System).Replicator
                .Ask<IGetResponse>(Dsl.Get(SessionDirectory.Key, ReadLocal.Instance), TimeSpan.FromSeconds(5))
                .PipeTo(Self, success: response => new DirectoryRead(response, node), failure: _ => new DirectoryRead(null, node));
        }
    }

    private void OnDirectoryRead(DirectoryRead read)
    {
        if (read.Response is not GetSuccess success ||
            !success.Get(SessionDirectory.Key).TryGetValue(_name, out var entry) || entry.Node != read.Node.ToString())
            return;
        foreach (var tracked in _queries.Values.Where(t => !t.Held && t.Node is null).ToList())
            Fail(tracked, read.Node);
    }

    private void Fail(Tracked tracked, Address node)
    {
        var queryId = tracked.Query.QueryId;
        _queries.Remove(queryId);
        var message = tracked.Replies > 0
            ? $"Session '{_name}': its node {node} became unreachable while the turn ran; the turn is not retried (it may have run, in part, there)."
            : $"Session '{_name}': its node {node} became unreachable before the session answered; the turn may or may not have started there, so it is not retried.";
        tracked.Requester.Tell(new QueryFailed(queryId, new SessionFailure(FailureKind.NodeUnreachable,
            message + " The next query reaches the session on another node once the cluster has moved it.")));
        // Should the node come back, its session stops the turn nobody waits for.
        _region.Tell(new ShardingEnvelope(_name, new CancelQuery(queryId)), Self);
    }

    private void ReleaseHeld()
    {
        if (_settling || _home is { } home && _unreachable.Contains(home)) return;
        foreach (var tracked in _queries.Values.Where(t => t.Held).ToList())
        {
            Timers.Cancel(HoldTimer(tracked.Query.QueryId));
            Send(tracked);
        }
    }

    private static string HoldTimer(string queryId) => "hold-" + queryId;

    private sealed class Tracked(Query query, IActorRef requester)
    {
        public Query Query { get; } = query;
        public IActorRef Requester { get; } = requester;
        public Address? Node { get; set; }
        public int Replies { get; set; }
        public bool Held { get; set; }
    }

    private sealed record HoldExpired(string QueryId);

    private sealed record Forget(string QueryId);

    private sealed class ReleaseHeldQueries
    {
        public static readonly ReleaseHeldQueries Instance = new();
    }

    private sealed record DirectoryRead(IGetResponse? Response, Address Node);
}
