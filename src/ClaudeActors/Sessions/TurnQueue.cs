using System.Diagnostics;
using Akka.Actor;
using ClaudeActors.Protocol;

namespace ClaudeActors.Sessions;

/// <summary>
/// The work waiting for a session's CLI, in arrival order, and the one turn the CLI is on. Turns run one at a time:
/// the CLI merges user lines written during a turn into that turn, so the next is taken only after the previous
/// <c>result</c>, and, when the parent journals turns, only after the journal has the finished one.
/// </summary>
internal sealed class TurnQueue
{
    private readonly LinkedList<PendingWork> _waiting = new();

    /// <summary>The turn the CLI is on, if any.</summary>
    public RunningQuery? Current { get; private set; }

    /// <summary>A finished turn whose answer waits for the parent's journal; it holds the CLI's turn until then.</summary>
    public JournalingTurn? Journaling { get; private set; }

    /// <summary>How much work is waiting (the running turn not counted).</summary>
    public int Count => _waiting.Count;

    /// <summary>Why <paramref name="query"/> cannot be queued, or null; <paramref name="known"/>: its id is in use already.</summary>
    public static string? Invalid(Query query, bool known) =>
        string.IsNullOrWhiteSpace(query.Prompt) ? "The prompt must not be empty."
        : query.AckWindow is <= 0 ? "The ack window must be positive."
        : query.Timeout is { } t && t <= TimeSpan.Zero ? "The timeout must be positive."
        : known ? $"A query with id '{query.QueryId}' is already queued or running."
        : null;

    /// <summary>True when a query of that id waits, runs or waits for its journal.</summary>
    public bool Contains(string queryId) =>
        Current?.Query.QueryId == queryId || Journaling?.Current.Query.QueryId == queryId ||
        _waiting.Any(w => w is PendingQuery q && q.Query.QueryId == queryId);

    public void Enqueue(PendingWork work) => _waiting.AddLast(work);

    /// <summary>Takes a waiting query out of the line (cancelled, timed out, interrupted before it ran).</summary>
    public PendingQuery? RemoveWaiting(string queryId)
    {
        for (var node = _waiting.First; node is not null; node = node.Next)
        {
            if (node.Value is PendingQuery q && q.Query.QueryId == queryId)
            {
                _waiting.Remove(node);
                return q;
            }
        }
        return null;
    }

    /// <summary>The next work, taken off the line; null while a turn runs or waits for its journal, or when none waits.</summary>
    public PendingWork? TakeNext()
    {
        if (Current is not null || Journaling is not null || _waiting.First is not { } node) return null;
        _waiting.RemoveFirst();
        return node.Value;
    }

    /// <summary>The CLI starts on <paramref name="pending"/>: it becomes the current turn.</summary>
    public RunningQuery Begin(PendingQuery pending, Activity? activity)
    {
        if (Current is not null) throw new InvalidOperationException("A turn is running already.");
        return Current = new RunningQuery(pending.Query, pending.ReplyTo) { Activity = activity };
    }

    /// <summary>The current turn is over (its result came, or it failed): the CLI's turn is free.</summary>
    public RunningQuery? TakeCurrent()
    {
        var current = Current;
        Current = null;
        return current;
    }

    /// <summary>The finished turn's answer waits for the parent's journal; no turn starts meanwhile.</summary>
    public void AwaitJournal(JournalingTurn turn) => Journaling = turn;

    /// <summary>The journal has the turn (or the session stops waiting for it): its answer goes out now.</summary>
    public JournalingTurn? TakeJournaling()
    {
        var turn = Journaling;
        Journaling = null;
        return turn;
    }

    /// <summary>Empties the line, in order: the session is stopping and tells each waiting caller.</summary>
    public List<PendingWork> TakeAllWaiting()
    {
        var all = _waiting.ToList();
        _waiting.Clear();
        return all;
    }
}

/// <summary>Work waiting for the CLI: a query, or a clear (ordered with the queries before it).</summary>
internal abstract record PendingWork(IActorRef ReplyTo)
{
    /// <summary>The answer its requester gets when it will never run.</summary>
    public abstract object FailedWith(SessionFailure failure);
}

internal sealed record PendingQuery(Query Query, IActorRef ReplyTo) : PendingWork(ReplyTo)
{
    public override object FailedWith(SessionFailure failure) => new QueryFailed(Query.QueryId, failure);
}

internal sealed record PendingClear(IActorRef ReplyTo) : PendingWork(ReplyTo)
{
    public override object FailedWith(SessionFailure failure) => new ControlResult(null, failure);
}

/// <summary>The turn the CLI is on.</summary>
internal sealed class RunningQuery(Query query, IActorRef replyTo)
{
    public Query Query { get; } = query;
    public IActorRef ReplyTo { get; } = replyTo;

    /// <summary>Its caller has had its terminal message (timeout, cancel); the CLI's end of the turn is swallowed.</summary>
    public bool Abandoned { get; set; }
    public bool InterruptRequested { get; set; }

    public Activity? Activity { get; init; }
    public Stopwatch Started { get; } = Stopwatch.StartNew();
    private bool _reported;

    /// <summary>Counts the turn's end in telemetry, once however often (and however) it is ended.</summary>
    public void ReportEnd(object terminal, string? model)
    {
        if (_reported) return;
        _reported = true;
        Telemetry.ClaudeActorsTelemetry.TurnEnded(Activity, Started.Elapsed,
            (terminal as QueryCompleted)?.Result ?? (terminal as QueryFailed)?.Failure.Result, (terminal as QueryFailed)?.Failure, model);
    }
}

/// <summary>A finished turn whose answer waits for the parent's journal (<see cref="SessionActor.TurnJournaled"/>).</summary>
internal sealed record JournalingTurn(RunningQuery Current, ClaudeMessage ResultLine, object Terminal);
