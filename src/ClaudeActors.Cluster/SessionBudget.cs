using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using ClaudeActors.Logging;

namespace ClaudeActors.Cluster;

/// <summary>
/// Caps the live CLI processes of one node: every session entity reports when its CLI starts, when it is used and
/// when it stops; past the cap, the least recently used one is asked to passivate (its CLI ends; the entity comes
/// back on its next message, resuming the conversation).
/// </summary>
internal sealed class SessionBudget : ReceiveActor
{
    public sealed record Started(IActorRef Entity);
    public sealed record Touched(IActorRef Entity);
    public sealed record Stopped(IActorRef Entity);
    public sealed record GetLiveCount;
    public sealed record PassivationRequested;

    private readonly int _cap;
    private readonly LinkedList<IActorRef> _lru = new();
    private readonly Dictionary<IActorRef, LinkedListNode<IActorRef>> _nodes = new();
    private readonly HashSet<IActorRef> _evicting = new();
    private readonly ILoggingAdapter _log = Context.GetLogger();

    public SessionBudget(int cap)
    {
        _cap = cap;
        Receive<Started>(s =>
        {
            Touch(s.Entity);
            Context.Watch(s.Entity);
            Enforce(s.Entity);
        });
        Receive<Touched>(t =>
        {
            if (!_nodes.ContainsKey(t.Entity)) return;
            _evicting.Remove(t.Entity); // it declined (busy) or was used again: it may be asked again later
            Touch(t.Entity);
            Enforce(t.Entity);
        });
        Receive<Stopped>(s => Remove(s.Entity));
        Receive<Terminated>(t => Remove(t.ActorRef));
        Receive<GetLiveCount>(_ => Sender.Tell(_nodes.Count));
    }

    public static Props Props(int cap) => Akka.Actor.Props.Create(() => new SessionBudget(cap));

    private void Touch(IActorRef entity)
    {
        if (_nodes.TryGetValue(entity, out var node)) _lru.Remove(node);
        _nodes[entity] = _lru.AddLast(entity);
    }

    private void Remove(IActorRef entity)
    {
        _evicting.Remove(entity);
        if (_nodes.Remove(entity, out var node)) _lru.Remove(node);
    }

    private void Enforce(IActorRef newest)
    {
        var over = _nodes.Count - _evicting.Count - _cap;
        for (var node = _lru.First; node is not null && over > 0; node = node.Next)
        {
            if (node.Value.Equals(newest) || _evicting.Contains(node.Value)) continue;
            _log.ForSession(Uri.UnescapeDataString(node.Value.Path.Name), null).Info("Live CLI cap ({0}) reached: passivating the least recently used session {1}.", _cap, node.Value.Path.Name);
            _evicting.Add(node.Value);
            node.Value.Tell(new PassivationRequested());
            over--;
        }
    }
}
