using Akka.Actor;
using Akka.Cluster.Sharding;

namespace ClaudeActors.Cluster;

/// <summary>
/// A named cluster session's address on this node (<see cref="Client.ClaudeSession.Actor"/>): takes the session
/// protocol as it is and forwards each message to the shard region in a <see cref="ShardingEnvelope"/>, keeping
/// the sender, so a user's actor Tells and Asks a cluster session exactly as it would a local one. One per name
/// and node, made on first use (<see cref="ClusterSessions.Handle"/>); it holds no state, so it outlives
/// passivation, hand-off and the loss of the node the session was on.
/// </summary>
internal sealed class SessionForwarder : UntypedActor
{
    private readonly IActorRef _region;
    private readonly string _name;

    public SessionForwarder(IActorRef region, string name)
    {
        _region = region;
        _name = name;
    }

    public static Props Props(IActorRef region, string name) =>
        Akka.Actor.Props.Create(() => new SessionForwarder(region, name)).WithDeploy(Deploy.Local);

    protected override void OnReceive(object message) =>
        // Already wrapped (code written against the region): pass it on as it is rather than wrap it twice.
        _region.Forward(message is ShardingEnvelope ? message : new ShardingEnvelope(_name, message));
}
