using Akka.Actor;
using ClaudeActors.Protocol;
using ClaudeActors.Sessions;
using Xunit;

namespace ClaudeActors.Tests.Sessions;

/// <summary>The queue of a session's turns: one at a time, in arrival order. Plain objects, no actor system.</summary>
public sealed class TurnQueueTests
{
    private static PendingQuery Pending(string id) => new(new Query("prompt " + id) { QueryId = id }, ActorRefs.Nobody);

    private static string? IdOf(PendingWork? work) => (work as PendingQuery)?.Query.QueryId;

    [Fact]
    public void Work_is_taken_in_arrival_order_and_only_while_no_turn_runs_or_waits_for_its_journal()
    {
        var turns = new TurnQueue();
        turns.Enqueue(Pending("a"));
        turns.Enqueue(new PendingClear(ActorRefs.Nobody));
        turns.Enqueue(Pending("b"));
        Assert.Equal(3, turns.Count);

        var first = (PendingQuery)turns.TakeNext()!;
        Assert.Equal("a", first.Query.QueryId);
        var running = turns.Begin(first, activity: null);
        Assert.Same(running, turns.Current);
        Assert.Null(turns.TakeNext()); // the CLI is on a turn: nothing else starts
        Assert.Throws<InvalidOperationException>(() => turns.Begin(Pending("x"), null));

        turns.TakeCurrent();
        turns.AwaitJournal(new JournalingTurn(running, new ResultMessage(), new QueryCompleted("a", new ResultMessage())));
        Assert.Null(turns.TakeNext()); // a turn waiting for its journal still holds the CLI
        Assert.Equal("a", turns.TakeJournaling()!.Current.Query.QueryId);
        Assert.Null(turns.TakeJournaling());

        Assert.IsType<PendingClear>(turns.TakeNext());
        Assert.Equal("b", IdOf(turns.TakeNext()));
        Assert.Null(turns.TakeNext());
        Assert.Equal(0, turns.Count);
    }

    [Fact]
    public void A_query_id_is_known_while_it_waits_runs_or_waits_for_its_journal()
    {
        var turns = new TurnQueue();
        turns.Enqueue(Pending("a"));
        Assert.True(turns.Contains("a"));
        Assert.False(turns.Contains("b"));

        var running = turns.Begin((PendingQuery)turns.TakeNext()!, null);
        Assert.True(turns.Contains("a"));
        turns.TakeCurrent();
        Assert.False(turns.Contains("a"));
        turns.AwaitJournal(new JournalingTurn(running, new ResultMessage(), new QueryCompleted("a", new ResultMessage())));
        Assert.True(turns.Contains("a"));
    }

    [Fact]
    public void Removing_a_waiting_query_takes_only_that_one_and_keeps_the_order_of_the_rest()
    {
        var turns = new TurnQueue();
        foreach (var id in new[] { "a", "b", "c" }) turns.Enqueue(Pending(id));
        Assert.Equal("b", turns.RemoveWaiting("b")!.Query.QueryId);
        Assert.Null(turns.RemoveWaiting("b"));
        Assert.Null(turns.RemoveWaiting("nobody"));
        Assert.Equal(["a", "c"], turns.TakeAllWaiting().Select(IdOf));
        Assert.Equal(0, turns.Count);
    }

    [Fact]
    public void Waiting_work_that_will_never_run_answers_as_its_requester_expects()
    {
        var failure = new SessionFailure(FailureKind.SessionStopped, "stopped");
        Assert.Equal(new QueryFailed("a", failure), Pending("a").FailedWith(failure));
        Assert.Equal(new ControlResult(null, failure), new PendingClear(ActorRefs.Nobody).FailedWith(failure));
    }

    [Theory]
    [InlineData("", null, null, false, "The prompt must not be empty.")]
    [InlineData("hi", 0, null, false, "The ack window must be positive.")]
    [InlineData("hi", null, -1, false, "The timeout must be positive.")]
    [InlineData("hi", 256, 5, true, "A query with id 'q' is already queued or running.")]
    [InlineData("hi", 256, 5, false, null)]
    public void A_query_is_checked_before_it_is_queued(string prompt, int? window, int? timeoutSeconds, bool known, string? expected)
    {
        var query = new Query(prompt)
        {
            QueryId = "q",
            AckWindow = window,
            Timeout = timeoutSeconds is { } s ? TimeSpan.FromSeconds(s) : null,
        };
        Assert.Equal(expected, TurnQueue.Invalid(query, known));
    }
}
