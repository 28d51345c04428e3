using Akka.Actor;
using ClaudeActors.Sessions;
using ClaudeActors.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace ClaudeActors.Tests.Sessions;

/// <summary>A finished turn is reported only to a parent that asked for it at Props time. Fast fake CLI.</summary>
public sealed class TurnReportingTests(ITestOutputHelper output) : SessionTestKit(output)
{
    private async Task<(Akka.TestKit.TestProbe Parent, IActorRef Session)> StartUnderProbeAsync(TurnReporting reporting)
    {
        var parent = CreateTestProbe();
        var session = parent.ChildActorOf(SessionActor.Props("reporting-" + reporting, Sandbox.FakeCliOptions(), reporting));
        Assert.IsType<SessionInfo>(await session.Ask<object>(AwaitReady.Instance, TimeSpan.FromSeconds(30)));
        return (parent, session);
    }

    [Fact]
    public async Task A_parent_that_asked_hears_of_each_turn_with_its_query_id()
    {
        var (parent, session) = await StartUnderProbeAsync(TurnReporting.Report);
        var reply = await session.Ask<object>(new Query("Say exactly: reported") { QueryId = "q-1", StreamMessages = false }, TimeSpan.FromSeconds(30));
        Assert.Equal("reported", Assert.IsType<QueryCompleted>(reply).Result.Result);
        var turn = parent.FishForMessage<SessionActor.SessionTurnCompleted>(_ => true, TimeSpan.FromSeconds(10));
        Assert.Equal(("reporting-Report", "q-1"), (turn.Name, turn.QueryId));
    }

    [Fact]
    public async Task A_parent_that_did_not_ask_hears_only_status_changes()
    {
        var (parent, session) = await StartUnderProbeAsync(TurnReporting.None);
        var reply = await session.Ask<object>(new Query("Say exactly: quiet") { StreamMessages = false }, TimeSpan.FromSeconds(30));
        Assert.Equal("quiet", Assert.IsType<QueryCompleted>(reply).Result.Result);
        // The report would have gone before the answer; all the parent heard is the status going Busy and back.
        var heard = parent.ReceiveWhile<object>(TimeSpan.FromMilliseconds(500), m => m);
        Assert.Contains(heard, m => m is SessionStatusChanged { Status: SessionStatus.Busy });
        Assert.All(heard, m => Assert.IsType<SessionStatusChanged>(m));
    }
}
