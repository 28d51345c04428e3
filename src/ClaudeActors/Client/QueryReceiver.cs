using System.Threading.Channels;
using Akka.Actor;
using ClaudeActors.Sessions;

namespace ClaudeActors.Client;

/// <summary>
/// The requester of one facade query: hands each reply to the enumerating .NET code through a channel and
/// stops after the terminal message. The channel needs no bound of its own: the session never has more than
/// the query's ack window in flight.
/// </summary>
internal sealed class QueryReceiver : ReceiveActor
{
    public QueryReceiver(ChannelWriter<object> writer, IActorRef? session)
    {
        if (session is not null) Context.Watch(session); // a local session; a sharded one is reached through its region
        Receive<QueryMessage>(m =>
        {
            if (Telemetry.TurnTrace.Enabled) Telemetry.TurnTrace.Mark("receiver:" + m.Message.Type);
            writer.TryWrite(m);
        });
        Receive<QueryCompleted>(m =>
        {
            Telemetry.TurnTrace.Mark("receiver:completed");
            writer.TryWrite(m);
            writer.TryComplete();
            Context.Stop(Self);
        });
        Receive<QueryFailed>(m =>
        {
            writer.TryWrite(m);
            writer.TryComplete();
            Context.Stop(Self);
        });
        Receive<Terminated>(_ =>
        {
            writer.TryWrite(new QueryFailed("", new SessionFailure(FailureKind.SessionStopped, "The session stopped.")));
            writer.TryComplete();
            Context.Stop(Self);
        });
    }

    // One receiver per facade query, so it is built by a producer: Props.Create(() => new ...) would evaluate its
    // expression and activate the actor by reflection on every query (~0.15 ms of the turn's host time, traced).
    public static Props Props(ChannelWriter<object> writer, IActorRef? session) =>
        Akka.Actor.Props.CreateBy(new Producer(writer, session)).WithDeploy(Deploy.Local);

    private sealed class Producer(ChannelWriter<object> writer, IActorRef? session) : IIndirectActorProducer
    {
        public Type ActorType => typeof(QueryReceiver);

        public ActorBase Produce() => new QueryReceiver(writer, session);

        public void Release(ActorBase actor)
        {
        }
    }
}
