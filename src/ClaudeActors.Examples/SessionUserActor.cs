using Akka.Actor;
using Akka.Event;
using ClaudeActors.Core;
using ClaudeActors.Protocol;
using ClaudeActors.Sessions;

namespace ClaudeActors.Examples;

/// <summary>
/// An actor of an Akka.NET service that Tells a session a question and handles the streamed replies:
/// each <see cref="QueryMessage"/> as it arrives, then one <see cref="QueryCompleted"/> or <see cref="QueryFailed"/>.
/// </summary>
public sealed class SessionUserActor : ReceiveActor
{
    public sealed record Ask(string Question);
    public sealed record Answered(string Text, int StreamedMessages);

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private IActorRef? _replyTo;
    private int _streamed;

    public SessionUserActor(IActorRef session)
    {
        Receive<Ask>(ask =>
        {
            _replyTo = Sender;
            _streamed = 0;
            session.Tell(new Query(ask.Question));
        });
        Receive<QueryMessage>(m =>
        {
            _streamed++;
            if (m.Message is AssistantMessage assistant)
                _log.Info("assistant wrote {0} block(s)", assistant.Message.Content.Count);
        });
        Receive<QueryCompleted>(done => _replyTo?.Tell(new Answered(done.Result.Result ?? "", _streamed)));
        Receive<QueryFailed>(failed => _replyTo?.Tell(new Status.Failure(failed.Failure.ToException())));
    }

    public static Props Props(IActorRef session) => Akka.Actor.Props.Create(() => new SessionUserActor(session));
}

/// <summary>An actor that uses Ask: only the terminal message is wanted, so the query does not stream.</summary>
public sealed class SessionAskingActor : ReceiveActor
{
    public sealed record Summarize(string Text);

    public SessionAskingActor(IActorRef session)
    {
        ReceiveAsync<Summarize>(async request =>
        {
            var reply = await session.Ask<object>(new Query("Say exactly: " + request.Text) { StreamMessages = false }, TimeSpan.FromMinutes(5));
            Sender.Tell(reply switch
            {
                QueryCompleted done => done.Result.Result ?? "",
                QueryFailed failed => new Status.Failure(failed.Failure.ToException()),
                _ => new Status.Failure(new InvalidOperationException("unexpected reply")),
            });
        });
    }

    public static Props Props(IActorRef session) => Akka.Actor.Props.Create(() => new SessionAskingActor(session));
}
